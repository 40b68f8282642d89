"""`python -m service backfill` as a process: progress on stdout, killed with SIGKILL mid-way and run again, it
resumes where its committed batches stopped and stores every point once."""
from __future__ import annotations

import asyncio
import os
import signal
import sys

from service.settings import PROJECT_ROOT
from tests.backfill.conftest import history_requests, hour_of, live


def _environment(database_url: str, gecko, **extra: str) -> dict:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("ETL_", "COIN", "CSV_", "BACKFILL", "DATABASE"))}
    environ.update({"DATABASE_URL": database_url, "COINGECKO_BASE_URL": gecko.url, "ETL_SOURCES": "coingecko",
                    "COINGECKO_REQUESTS_PER_MINUTE": "60000", "LOG_FORMAT": "text", "LOG_LEVEL": "WARNING",
                    "PYTHONPATH": str(PROJECT_ROOT), **extra})
    return environ


async def _start(database_url: str, gecko, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "backfill", *args, cwd=PROJECT_ROOT,
        env=_environment(database_url, gecko), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _history(pool) -> list:
    return await pool.fetch("SELECT listing_id, observed_at, price_usd::text AS price FROM quotes_history "
                            "WHERE source = 'coingecko' ORDER BY 1, 2")


async def test_killed_mid_backfill_and_run_again_it_stores_every_point_once(pool, bf_settings, gecko,
                                                                            database_url):
    await live(pool, bf_settings, "coingecko")
    gecko.series.delay = 1.0  # slow answers (4 in flight, stored together every 2 s): time to kill it part-way
    process = await _start(database_url, gecko, "--days", "4")
    done = 0
    for _ in range(400):
        await asyncio.sleep(0.05)
        done = await pool.fetchval("SELECT coalesce((progress->>'coins_done')::int, 0) FROM etl_runs "
                                   "WHERE trigger = 'backfill' AND status = 'running'") or 0
        if done >= 4:
            break
    assert done >= 4, "the backfill made no progress to kill"
    process.send_signal(signal.SIGKILL)
    await process.wait()
    partial = await pool.fetchrow("SELECT * FROM etl_runs WHERE trigger = 'backfill'")
    assert partial["status"] == "running" and 0 < partial["progress"]["coins_done"] < 16
    stored_before = await pool.fetchval("SELECT count(*) FROM quotes_history WHERE run_id = $1", partial["id"])
    asked_before = len(history_requests(gecko))

    gecko.series.delay = 0
    process = await _start(database_url, gecko, "--days", "4")
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    lines = stdout.decode().splitlines()
    assert lines and lines[-1].startswith("coingecko: coins 16/16 (0 left), points ")
    assert "points/s" in lines[-1] and "ETA" in lines[-1]
    assert "coingecko: success" in stderr.decode()

    runs = await pool.fetch("SELECT * FROM etl_runs WHERE trigger = 'backfill' ORDER BY id")
    assert [r["status"] for r in runs] == ["failed", "success"]
    assert "abandoned" in runs[0]["error"]
    # the second run asked only for the coins the first had not committed (the one in flight again)
    asked_again = len(history_requests(gecko)) - asked_before
    assert asked_again <= 16 - partial["progress"]["coins_done"]
    rows = await _history(pool)
    keys = [(r["listing_id"], r["observed_at"]) for r in rows]
    assert len(keys) == len(set(keys))
    per_coin_hours: dict = {}
    for listing, at in keys:
        per_coin_hours.setdefault(listing, []).append(hour_of(at))
    for hours in per_coin_hours.values():
        assert len(hours) == len(set(hours)), "an hour was filled twice"
        assert len(hours) >= 4 * 24 - 1  # the first hour is partly outside the range when the clock turns
    assert stored_before + runs[1]["rows_inserted"] + 16 == len(rows)  # + each coin's live observation


async def test_the_command_exits_non_zero_with_one_line_per_source_when_one_fails(
        pool, bf_settings, gecko, paprika, database_url):
    await live(pool, bf_settings)
    environ = _environment(database_url, gecko, COINPAPRIKA_BASE_URL="http://127.0.0.1:9/v1",
                           ETL_SOURCES="coingecko,coinpaprika,csv", HTTP_MAX_RETRIES="0")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "backfill", "--days", "2", "--symbols", "btc,eth", cwd=PROJECT_ROOT,
        env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    lines = [line for line in stderr.decode().splitlines() if line.startswith(("coingecko:", "coinpaprika:"))]
    assert len(lines) == 2, stderr.decode()
    by_source = {line.split(":")[0]: line for line in lines}
    assert by_source["coinpaprika"].startswith("coinpaprika: failed")
    assert "connection" in by_source["coinpaprika"].lower()
    assert by_source["coingecko"].startswith("coingecko: success")
    assert "coingecko: coins 2/2 (0 left)" in stdout.decode()
