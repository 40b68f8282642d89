"""Issue 11: an API record stamped beyond FUTURE_TOLERANCE_SECONDS is a reject saying "future"; small skew is fine."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from tests.etl.conftest import run_all


def _ahead(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


async def test_future_stamps_from_both_apis_are_refused_small_skew_accepted(pool, etl_settings, paprika, gecko):
    paprika.tickers[0]["last_updated"] = _ahead(86400).isoformat()
    paprika.tickers[1]["last_updated"] = _ahead(60).isoformat()
    gecko.coins[0]["last_updated"] = "2099-01-01T00:00:00.000Z"
    gecko.coins[1]["last_updated"] = _ahead(60).isoformat()
    outcomes = await run_all(pool, etl_settings, ("coinpaprika", "coingecko"))
    for source, first, second in (("coinpaprika", paprika.tickers[0]["id"], paprika.tickers[1]["id"]),
                                  ("coingecko", gecko.coins[0]["id"], gecko.coins[1]["id"])):
        assert outcomes[source].status == "success" and outcomes[source].counts.rejected == 1
        reasons = [r["reason"] for r in await pool.fetch("SELECT reason FROM etl_rejects WHERE source = $1", source)]
        assert len(reasons) == 1 and reasons[0].startswith("last_updated is in the future: ")
        latest = {r["coin_id"] for r in await pool.fetch(
            "SELECT coin_id FROM quotes_latest WHERE source = $1", source)}
        history = {r["coin_id"] for r in await pool.fetch(
            "SELECT coin_id FROM quotes_history WHERE source = $1", source)}
        assert first not in latest and first not in history
        assert second in latest and second in history


async def test_the_tolerance_comes_from_the_settings(pool, etl_settings, paprika):
    paprika.tickers[0]["last_updated"] = _ahead(60).isoformat()
    settings = dataclasses.replace(etl_settings, future_tolerance_seconds=0.0)
    outcome = (await run_all(pool, settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.counts.rejected == 1
