"""Within quota: one request budget shared with the live runs, Retry-After honoured, an unknown coin refused once,
and a scheduled run of the source never waits for a backfill."""
from __future__ import annotations

import asyncio
import dataclasses
import time

from service.etl.backfill import Scope, backfill
from service.etl.pipeline import run_source
from service.etl.wiring import wired_sources
from tests.backfill.conftest import history_requests, live, run_backfill
from tests.fakes.upstream import Fault


async def test_the_request_rate_stays_within_the_budget_over_any_window(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    per_minute, burst = 600.0, 5  # 10 a second, bursts of 5 (wiring: min(5, rate * 10))
    limited = dataclasses.replace(bf_settings, coingecko_requests_per_minute=per_minute)
    gecko.requests.clear()
    outcome = (await run_backfill(pool, limited, Scope(days=200, top=8)))["coingecko"]
    assert outcome.status == "success", outcome.error
    times = [t for t, *_ in history_requests(gecko)]
    assert len(times) == 8 * 3  # 200 days in windows of at most 90
    rate = per_minute / 60
    for i, first in enumerate(times):
        for j in range(i, len(times)):
            # requests i..j fall in a window of (times[j] - first) seconds. The fake records arrivals: a request
            # held up on its way (the loop busy elsewhere) arrives close behind the next, so one request of slack
            # for delivery (CI on two busy cores saw it); the span check below holds the rate itself
            assert j - i + 1 <= burst + rate * (times[j] - first) + 1.5, (i, j)
    assert times[-1] - times[0] >= (len(times) - burst) / rate - 0.05


async def test_a_429_with_retry_after_is_waited_out_then_the_backfill_completes(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    gecko.faults = [Fault(status=429, headers={"Retry-After": "1"})]
    gecko.requests.clear()
    outcome = (await run_backfill(pool, bf_settings, Scope(days=2, top=3)))["coingecko"]
    assert outcome.status == "success", outcome.error
    asked = history_requests(gecko)
    assert len(asked) == 4  # the refused one, asked again, and the two other coins
    refused_at = asked[0][0]
    again = [t for t, path, _ in asked[1:] if path == asked[0][1]]
    assert len(again) == 1 and again[0] - refused_at >= 0.95
    # requests already in flight when the 429 came are answered; none starts again within its Retry-After
    later = [t - refused_at for t, *_ in asked[1:]]
    assert all(d < 0.1 or d >= 0.95 for d in later), later
    assert outcome.counts.inserted >= 3 * 47


async def test_an_unknown_coin_is_one_reject_and_is_not_asked_for_again(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    del gecko.series.coins["ethereum"]
    first = (await run_backfill(pool, bf_settings, Scope(days=2)))["coingecko"]
    assert first.status == "success", first.error
    rejects = await pool.fetch("SELECT location, reason FROM etl_rejects WHERE run_id = $1", first.run_id)
    assert [(r["location"], "404" in r["reason"]) for r in rejects] == [("ethereum", True)]
    assert not await pool.fetchval("SELECT count(*) FROM quotes_history h JOIN etl_runs r ON r.id = h.run_id "
                                   "WHERE r.trigger = 'backfill' AND h.coin_id = 'ethereum'")
    gecko.requests.clear()
    second = (await run_backfill(pool, bf_settings, Scope(days=2)))["coingecko"]
    assert second.status == "success"
    assert not [path for _, path, _ in history_requests(gecko) if "/ethereum/" in path]


async def test_a_scheduled_run_goes_on_beside_a_backfill_of_its_source(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    gecko.series.delay = 0.3  # 16 coins: about 5 s of backfill
    slow = dataclasses.replace(bf_settings, coingecko_requests_per_minute=120)  # 2 a second: the budget is tight
    async with wired_sources(slow, ("coingecko",)) as wired:
        running = asyncio.create_task(backfill(pool, slow, wired.upstreams, Scope(days=2)))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if await pool.fetchval("SELECT count(*) FROM etl_runs WHERE trigger = 'backfill' "
                                   "AND status = 'running'"):
                break
        started = time.monotonic()
        outcome = await run_source(pool, wired.sources[0], trigger="schedule")
        took = time.monotonic() - started
        assert outcome.status == "success", outcome.error
        assert took < 1.5, f"the scheduled run took {took:.2f} s beside the backfill"
        assert not running.done(), "the backfill should still be going"
        (backfilled,) = await running
    assert backfilled.status == "success", backfilled.error
    runs = await pool.fetch("SELECT trigger, status, finished_at FROM etl_runs WHERE trigger IN "
                            "('schedule', 'backfill') ORDER BY finished_at")
    # the scheduled run, started after the backfill, finished before it
    assert [(r["trigger"], r["status"]) for r in runs][-2:] == [("schedule", "success"), ("backfill", "success")]
