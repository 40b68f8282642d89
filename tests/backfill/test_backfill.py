"""Backfill through the live pipeline: exact digits, only what is missing, resumable, within the request budget."""
from __future__ import annotations

from datetime import timedelta

from service.etl.backfill import Scope
from tests.backfill.conftest import history_requests, hour_of, live, now_minus, plain, run_backfill
from tests.fakes.history import HOUR


async def _backfilled(pool, source="coingecko"):
    return await pool.fetch(
        "SELECT h.coin_id, h.observed_at, h.price_usd::text AS price, h.market_cap_usd::text AS cap "
        "FROM quotes_history h JOIN etl_runs r ON r.id = h.run_id "
        "WHERE r.trigger = 'backfill' AND h.source = $1 ORDER BY 1, 2", source)


async def test_a_backfill_stores_the_upstream_series_exactly_one_point_per_missing_hour(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    before = now_minus(0)
    outcome = (await run_backfill(pool, bf_settings, Scope(days=3)))["coingecko"]
    after = now_minus(0) + timedelta(seconds=1)
    assert outcome.status == "success", outcome.error
    rows = await _backfilled(pool)
    latest = {r["coin_id"]: r["observed_at"] for r in await pool.fetch(
        "SELECT coin_id, observed_at FROM quotes_latest WHERE source = 'coingecko'")}
    assert len(latest) == 16
    by_coin: dict = {}
    for row in rows:
        by_coin.setdefault(row["coin_id"], []).append(row)
    assert set(by_coin) == set(latest)
    tiny = 0
    for coin, stored in by_coin.items():
        # every hour from (the hour holding) 3 days back up to the hour before the live observation's, once, at
        # CoinGecko's own time
        hours = [hour_of(r["observed_at"]) for r in stored]
        assert hour_of(before - timedelta(days=3)) <= hours[0] <= hour_of(after - timedelta(days=3))
        assert hours == [hours[0] + timedelta(hours=i) for i in range(len(hours))]
        assert hours[-1] == hour_of(latest[coin]) - timedelta(seconds=HOUR)
        for row in stored:
            expected = gecko.series.price(coin, hour_of(row["observed_at"]))
            assert row["price"] == plain(expected)
            assert row["observed_at"].microsecond == gecko.series.offset(coin) % 1000 * 1000
            tiny += "e" in str(expected).lower()
    assert tiny > 0, "some prices reached the service in exponent notation"
    run = await pool.fetchrow("SELECT * FROM etl_runs WHERE id = $1", outcome.run_id)
    assert run["trigger"] == "backfill" and run["status"] == "success"
    progress = run["progress"]
    assert progress["coins_done"] == 16 and progress["coins_left"] == 0
    assert progress["points_stored"] == len(rows) == run["rows_inserted"]
    assert await pool.fetchval("SELECT count(*) FROM raw_api_records r JOIN etl_runs e ON e.id = r.run_id "
                               "WHERE e.trigger = 'backfill'") == 16


async def test_a_second_backfill_asks_only_for_what_is_new(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    gecko.series.holes["bitcoin"] = [(now_minus(60 * 30), now_minus(60 * 20))]
    first = (await run_backfill(pool, bf_settings, Scope(days=3)))["coingecko"]
    assert first.status == "success"
    asked = len(history_requests(gecko))
    assert asked == 16
    second = (await run_backfill(pool, bf_settings, Scope(days=3)))["coingecko"]
    assert second.status == "success", second.error
    assert len(history_requests(gecko)) == asked, "the upstream's hole was not asked for again"
    assert second.counts.inserted == 0


async def test_scattered_gaps_are_one_request_filling_exactly_the_missing_hours(pool, bf_settings, gecko):
    await live(pool, bf_settings, "coingecko")
    # a deployment that missed every tenth hour of the last two days
    await pool.execute("""
        INSERT INTO quotes_history (listing_id, source, coin_id, observed_at, asset_id, symbol, name, price_usd,
                                    run_id)
        SELECT m.id, l.source, l.coin_id, l.observed_at - make_interval(hours => h), l.asset_id, l.symbol, l.name,
               l.price_usd, l.run_id
        FROM quotes_latest AS l JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
        CROSS JOIN generate_series(1, 60) AS h
        WHERE l.coin_id = 'bitcoin' AND h % 10 <> 0""")
    before = {hour_of(r["observed_at"]) for r in await pool.fetch(
        "SELECT observed_at FROM quotes_history WHERE coin_id = 'bitcoin'")}
    outcome = (await run_backfill(pool, bf_settings, Scope(days=2, symbols=("BTC",))))["coingecko"]
    assert outcome.status == "success", outcome.error
    assert len(history_requests(gecko)) == 1
    filled = [hour_of(r["observed_at"]) for r in await _backfilled(pool)]
    assert filled == sorted(set(filled)) and not set(filled) & before
    latest = await pool.fetchval("SELECT observed_at FROM quotes_latest WHERE coin_id = 'bitcoin'")
    tenth = {hour_of(latest - timedelta(hours=h)) for h in (10, 20, 30, 40)}
    assert tenth <= set(filled)
    assert outcome.counts.inserted == len(filled) == 4  # one window, 10 h to 40 h back: 31 points, 27 there
    assert outcome.counts.unchanged == outcome.counts.read - 4 > 20
