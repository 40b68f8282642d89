"""Self-test of the fake upstreams: pagination, fault injection and exact number output."""
import json
from decimal import Decimal

import aiohttp
import pytest

from .upstream import (
    FakeCoinGecko, FakeCoinPaprika, Fault, load_gecko_fixture, make_gecko_coins, make_paprika_tickers, start,
)

# pytest-aiohttp's fixtures run in the session loop (asyncio_default_fixture_loop_scope); so must the tests.
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_gecko_paginates_until_an_empty_page(aiohttp_client):
    fake = FakeCoinGecko(make_gecko_coins(7))
    client = await aiohttp_client(fake.make_app())
    ids = []
    for page in range(1, 5):
        params = {"vs_currency": "usd", "per_page": "3", "page": page}
        resp = await client.get("/api/v3/coins/markets", params=params)
        assert resp.status == 200
        ids.append([coin["id"] for coin in await resp.json()])
    assert [len(p) for p in ids] == [3, 3, 1, 0]
    assert sum(ids, []) == [coin["id"] for coin in fake.coins]
    assert [r[2]["page"] for r in fake.requests] == ["1", "2", "3", "4"]


async def test_gecko_429_with_retry_after_then_recovers(aiohttp_client):
    fake = FakeCoinGecko()
    fake.faults.append(Fault(status=429, headers={"retry-after": "119"}))
    client = await aiohttp_client(fake.make_app())
    url, params = "/api/v3/coins/markets", {"vs_currency": "usd"}

    resp = await client.get(url, params=params)
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "119"
    assert (await resp.json())["status"]["error_code"] == 429

    resp = await client.get(url, params=params)
    assert resp.status == 200
    assert len(await resp.json()) == 100
    assert not fake.faults


async def test_paprika_error_shape_and_repeating_fault(aiohttp_client):
    fake = FakeCoinPaprika(make_paprika_tickers(3))
    fake.faults.append(Fault(status=500, times=2))
    client = await aiohttp_client(fake.make_app())
    for _ in range(2):
        resp = await client.get("/v1/tickers")
        assert resp.status == 500
        assert set(await resp.json()) == {"error"}
    resp = await client.get("/v1/tickers", headers={"Authorization": "k"})
    assert resp.status == 200
    assert fake.requests[-1][3]["authorization"] == "k"


async def test_reset_cuts_the_body_halfway(aiohttp_server):
    fake = FakeCoinPaprika(make_paprika_tickers(200))
    fake.faults.append(Fault(reset=True))
    server = await aiohttp_server(fake.make_app())
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.base_url(server) + "/tickers") as resp:
            assert resp.status == 200
            with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
                await resp.read()
        async with session.get(fake.base_url(server) + "/tickers") as resp:
            assert len(await resp.json()) == 200


async def test_decimals_are_emitted_digit_for_digit(aiohttp_client):
    ticker = make_paprika_tickers(1)[0]
    ticker["quotes"]["USD"]["price"] = Decimal("0.000012345678901234")
    ticker["quotes"]["USD"]["ath_price"] = Decimal("6.31917e-7")
    client = await aiohttp_client(FakeCoinPaprika([ticker]).make_app())
    body = await (await client.get("/v1/tickers", params={"quotes": "USD"})).read()
    assert b'"price":0.000012345678901234,' in body
    assert b'"ath_price":6.31917e-7,' in body
    parsed = json.loads(body, parse_float=Decimal)
    assert parsed[0]["quotes"]["USD"]["price"] == Decimal("0.000012345678901234")


async def test_generators_are_deterministic_and_realistic():
    assert make_paprika_tickers(50, seed=3) == make_paprika_tickers(50, seed=3)
    tickers, coins = make_paprika_tickers(300), make_gecko_coins(300)
    assert len({t["id"] for t in tickers}) == len({c["id"] for c in coins}) == 300
    assert all(t["symbol"].isupper() and c["symbol"].islower() for t, c in zip(tickers, coins))
    assert any(t["quotes"]["USD"]["price"] < Decimal("1e-6") for t in tickers)
    assert all(len(t["quotes"]["USD"]["price"].as_tuple().digits) <= 17 for t in tickers)
    assert tickers[0]["last_updated"] == "2026-11-25T16:00:00Z"
    assert len(coins[0]["last_updated"]) == len("2024-04-07T16:49:31.736Z")
    assert load_gecko_fixture()[0]["id"] == "bitcoin"


async def test_start_serves_outside_pytest_fixtures():
    runner, base_url = await start(FakeCoinGecko().make_app())
    try:
        assert base_url.endswith("/api/v3")
        async with aiohttp.ClientSession() as session:
            params = {"vs_currency": "usd", "page": "2"}
            async with session.get(base_url + "/coins/markets", params=params) as r:
                assert await r.json() == []
    finally:
        await runner.cleanup()
