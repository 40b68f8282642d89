"""Every bad parameter is a 400 JSON envelope that names it; never a 500."""
from __future__ import annotations

import pytest

from service.web import cursors
from tests.api.helpers import coin_rows, load_csv

GARBAGE_CURSORS = ["garbage", "%%%", cursors.encode({"x": 1}), cursors.encode({"v": "1", "s": "-rank", "r": []}),
                   cursors.encode({"y": "BTC", "k": ["not a time", "csv", "x"]}), cursors.encode([1, 2]),
                   cursors.encode({"before": 10**30}), "eyJ2Ijo"]

CASES = [
    ("/data?limit=0", "limit"), ("/data?limit=abc", "limit"), ("/data?limit=100000", "limit"),
    ("/data?source=binance", "source"), ("/data?sort=price_usd;DROP TABLE quotes_latest", "sort"),
    ("/data?sort=price_usd%20desc", "sort"), ("/data?page=0", "page"), ("/data?min_price=abc", "min_price"),
    ("/history", "symbol"), ("/history?symbol=BTC&limit=0", "limit"), ("/history?symbol=BTC&limit=abc", "limit"),
    ("/history?symbol=BTC&limit=100000", "limit"), ("/history?symbol=BTC&source=binance", "source"),
    ("/history?symbol=BTC&from=notadate", "from"), ("/history?symbol=BTC&to=2026-13-01", "to"),
    ("/history?symbol=BTC&from=2026-02-01&to=2026-01-01", "from"),
    ("/runs?limit=0", "limit"), ("/runs?limit=abc", "limit"), ("/runs?limit=100000", "limit"),
    ("/runs?source=binance", "source"), ("/runs?status=done", "status"), ("/runs?page=-1", "page"),
    ("/runs/abc", "id"), ("/runs/0", "id"), ("/runs/99999999999999999999999", "id"),
    ("/compare-runs", "a"), ("/compare-runs?a=1", "b"), ("/compare-runs?a=x&b=1", "a"),
    ("/data?cursor=abc&page=2", "cursor"),
]


@pytest.mark.parametrize(("path", "parameter"), CASES)
async def test_bad_parameter_is_400_naming_it(client, path, parameter):
    response = await client.get(path)
    assert response.status == 400, (path, await response.text())
    body = await response.json()
    assert body["error"]["code"] == "invalid_parameters"
    assert parameter in body["error"]["fields"] and parameter in body["error"]["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
@pytest.mark.parametrize("route", ["/data?", "/history?symbol=BTC&", "/runs?"])
async def test_tampered_cursor_is_400(client, route, cursor):
    response = await client.get(f"{route}cursor={cursor}")
    assert response.status == 400, await response.text()
    assert "cursor" in (await response.json())["error"]["fields"]


async def test_cursor_of_another_symbol_is_400(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(1) + coin_rows(1, hour=1))
    page = await (await client.get("/history?symbol=C0&limit=1")).json()
    assert page["next_cursor"]
    response = await client.get(f"/history?symbol=ETH&cursor={page['next_cursor']}")
    assert response.status == 400
