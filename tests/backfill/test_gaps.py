"""GET /gaps: maximal runs of empty buckets, exactly where the upstream's series had a hole."""
from __future__ import annotations

from datetime import timedelta

from service.etl.backfill import Scope
from tests.backfill.conftest import hour_of, live, now_minus, run_backfill


async def test_gaps_lists_exactly_the_upstream_hole_after_a_backfill(pool, bf_settings, gecko, make_client):
    await live(pool, bf_settings, "coingecko")
    hole = (hour_of(now_minus(60 * 30)), hour_of(now_minus(60 * 20)))
    gecko.series.holes["bitcoin"] = [hole]
    assert (await run_backfill(pool, bf_settings, Scope(days=3)))["coingecko"].status == "success"
    client = await make_client(bf_settings)
    since = (hour_of(now_minus(60 * 24 * 3)) + timedelta(hours=2)).isoformat()
    response = await client.get("/gaps", params={"symbol": "btc", "source": "coingecko", "from": since})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["data"] == [{"source": "coingecko", "coin_id": "bitcoin",
                             "start": hole[0].isoformat().replace("+00:00", "Z"),
                             "end": hole[1].isoformat().replace("+00:00", "Z"), "missing": 10}]
    assert body["truncated"] is False
    # the same range in 4 h buckets: only the buckets the hole covers whole are empty
    response = await client.get("/gaps", params={"symbol": "BTC", "source": "coingecko", "from": since,
                                                 "interval": "4h"})
    wide = (await response.json())["data"]
    assert all(g["missing"] >= 1 for g in wide) and len(wide) <= 1


async def test_gaps_before_any_backfill_is_the_whole_range_up_to_the_live_observation(pool, bf_settings,
                                                                                      make_client):
    await live(pool, bf_settings, "coingecko")
    client = await make_client(bf_settings)
    since = hour_of(now_minus(60 * 10))
    response = await client.get("/gaps", params={"symbol": "BTC", "source": "coingecko",
                                                 "from": since.isoformat()})
    gaps = (await response.json())["data"]
    observed = await pool.fetchval("SELECT observed_at FROM quotes_latest WHERE coin_id = 'bitcoin'")
    assert gaps[0]["start"] == since.isoformat().replace("+00:00", "Z")
    assert gaps[0]["end"] == hour_of(observed).isoformat().replace("+00:00", "Z")
    assert gaps[0]["missing"] == (hour_of(observed) - since) // timedelta(hours=1)


async def test_gaps_refuses_bad_parameters_naming_them(pool, bf_settings, make_client):
    client = await make_client(bf_settings)
    for params, name in (({}, "symbol"), ({"symbol": "BTC", "interval": "7m"}, "interval"),
                         ({"symbol": "BTC", "from": "yesterday"}, "from"),
                         ({"symbol": "BTC", "from": "2026-01-02", "to": "2026-01-01"}, "from"),
                         ({"symbol": "BTC", "limit": "0"}, "limit")):
        response = await client.get("/gaps", params=params)
        assert response.status in (400, 422), (params, response.status)
        assert name in await response.text(), params
