"""CoinPaprika's history: daily points back to the plan's reach, hourly ones for the plan's last day."""
from __future__ import annotations

from datetime import timedelta

from service.etl.backfill import Scope
from tests.backfill.conftest import history_requests, live, plain, run_backfill


async def test_a_paprika_backfill_is_daily_then_hourly_and_exact(pool, bf_settings, paprika):
    await live(pool, bf_settings, "coinpaprika")
    outcome = (await run_backfill(pool, bf_settings, Scope(days=5), names=("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success", outcome.error
    asked = history_requests(paprika)
    assert sorted(q["interval"] for _, _, q in asked) == ["1d"] * 6 + ["1h"] * 6
    assert all(q["limit"] == "5000" and q["quote"] == "usd" for _, _, q in asked)
    rows = await pool.fetch(
        "SELECT h.coin_id, h.observed_at, h.price_usd::text AS price, h.volume_24h_usd::text AS volume "
        "FROM quotes_history h JOIN etl_runs r ON r.id = h.run_id WHERE r.trigger = 'backfill' ORDER BY 1, 2")
    latest = dict(await pool.fetch("SELECT coin_id, observed_at FROM quotes_latest WHERE source = 'coinpaprika'"))
    for coin, last in latest.items():
        stored = [r for r in rows if r["coin_id"] == coin]
        # hourly points only within the plan's last day (whole hours), daily ones before
        hours = [r for r in stored if r["observed_at"] > last - timedelta(days=1)]
        days = [r for r in stored if r["observed_at"] <= last - timedelta(days=1)]
        assert all(r["observed_at"].hour == 0 and r["observed_at"].minute == 0 for r in days)
        assert 4 <= len(days) <= 6
        assert 22 <= len(hours) <= 25
        assert [r["observed_at"] for r in hours] == sorted({r["observed_at"] for r in hours})
        for row in stored:
            price = paprika.series.price(coin, row["observed_at"])
            assert row["price"] == plain(price)
            assert row["volume"] == plain(+(price * 1_234_567))
