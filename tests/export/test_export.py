"""GET /export/history: the same observations as /history over the range, once each, exact digits, CSV or NDJSON,
gzip when accepted, a bounded number at once."""
from __future__ import annotations

import asyncio
import csv
import gzip
import io
from decimal import Decimal

import aiohttp
import pytest

from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.api.export import CSV_COLUMNS
from service.jsonutil import loads_exact
from service.web.keys import EXPORT_SLOTS
from tests.api.helpers import load_csv

FROM, TO = "2026-01-01T01:00:00Z", "2026-01-01T04:00:00Z"
PRICES = ("0.000000012345678901234567890", "97123.4500", "1", "12345678901234567890.123456789", "2.50")


def _rows() -> str:
    lines = []
    for hour in range(6):
        for i, price in enumerate(PRICES):
            lines.append(f"S{i},Coin {i},{price},{1000 + i}.10,,{-i}.5,{i + 1},2026-01-01T{hour:02d}:00:00Z\n")
            lines.append(f"S{i},Coin {i},{price},{1000 + i}.10,,{-i}.5,{i + 1},2026-01-01T{hour:02d}:30:00.25Z\n")
    return "".join(lines)


async def _history(client, symbol: str) -> list[dict]:
    records, url = [], f"/history?symbol={symbol}&from={FROM}&to={TO}&limit=3"
    while url:
        body = loads_exact(await (await client.get(url)).read())
        records.extend(body["data"])
        url = body["next_cursor"] and f"/history?cursor={body['next_cursor']}"
    return records


async def test_the_ndjson_export_equals_history_over_the_same_range(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", _rows())
    response = await client.get(f"/export/history?from={FROM}&to={TO}&format=ndjson")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/x-ndjson"
    text = await response.text()
    assert text.endswith("\n")
    exported = [loads_exact(line) for line in text.splitlines()]
    expected = [r for i in range(len(PRICES)) for r in await _history(client, f"S{i}")]
    expected.sort(key=lambda r: (r["observed_at"], r["source"], r["coin_id"]))
    assert len(exported) == 7 * len(PRICES)  # 01:00, 01:30, ... 04:00: both ends included
    assert exported == expected
    assert len({(r["observed_at"], r["coin_id"]) for r in exported}) == len(exported)
    assert '"price_usd":0.000000012345678901234567890,' in text
    assert '"price_usd":12345678901234567890.123456789,' in text


async def test_the_csv_export_has_the_header_and_each_observation_once_with_exact_digits(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", _rows())
    response = await client.get(f"/export/history?from={FROM}&to={TO}&symbol=s1&source=CSV")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    history = await _history(client, "S1")
    assert [row[0] for row in rows[1:]] == [r["observed_at"] for r in history]
    assert rows[2][0] == "2026-01-01T01:30:00.250000Z" and rows[1][0] == "2026-01-01T01:00:00Z"
    for row, record in zip(rows[1:], history, strict=True):
        assert row[1:5] == [record["source"], record["coin_id"], record["symbol"], record["name"]]
        assert row[5] == "97123.4500" and Decimal(row[5]) == record["price_usd"]
        assert row[6] == "1001.10" and row[7] == ""  # no volume: an empty field, as NULL


async def test_gzip_when_the_client_accepts_it(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", _rows())
    plain = await (await client.get(f"/export/history?from={FROM}&to={TO}",
                                    headers={"Accept-Encoding": "identity"})).read()
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        async with raw.get(client.make_url(f"/export/history?from={FROM}&to={TO}"),
                           headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            packed = await response.read()
    assert gzip.decompress(packed) == plain and len(packed) < len(plain)


async def test_exports_beyond_the_bound_get_429_with_retry_after(client):
    slots = client.app[EXPORT_SLOTS]
    held = [slots.take() for _ in range(slots.limit)]
    assert all(hold.__enter__() for hold in held)
    try:
        response = await client.get(f"/export/history?from={FROM}&to={TO}")
        assert response.status == 429
        assert int(response.headers["Retry-After"]) > 0
    finally:
        for hold in held:
            hold.__exit__(None, None, None)
    assert (await client.get(f"/export/history?from={FROM}&to={TO}")).status == 200


async def test_bad_parameters_are_400s_naming_them(client):
    cases = {"to=2026-01-02": "from", "from=2026-01-02": "to", f"from={TO}&to={FROM}": "from",
             f"from={FROM}&to={TO}&format=xml": "format", f"from={FROM}&to={TO}&source=nope": "source",
             "from=yesterday&to=2026-01-02": "from"}
    for query, name in cases.items():
        response = await client.get(f"/export/history?{query}")
        assert response.status == 400, query
        assert name in (await response.json())["error"]["fields"], query


async def test_an_empty_range_is_the_header_alone(client):
    response = await client.get("/export/history?from=2020-01-01&to=2020-01-02")
    assert response.status == 200
    assert await response.text() == ",".join(CSV_COLUMNS) + "\n"


async def test_the_openapi_document_names_the_streamed_media_types(client):
    document = await (await client.get("/api/docs/swagger.json")).json()
    exported = document["paths"]["/export/history"]["get"]
    assert set(exported["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson"}
    assert {p["name"] for p in exported["parameters"]} >= {"from", "to", "source", "symbol", "format"}
    assert exported["responses"]["429"]["headers"]["Retry-After"]
    streamed = document["paths"]["/stream"]["get"]
    assert set(streamed["responses"]["200"]["content"]) == {"text/event-stream"}
    assert {p["name"] for p in streamed["parameters"]} >= {"Last-Event-ID", "source", "symbol"}
    assert streamed["responses"]["503"]["headers"]["Retry-After"]


async def test_a_database_failure_mid_export_cuts_the_transfer_instead_of_ending_it_short(client, pool, tmp_path):
    body = "".join(f"S{i % 50},Coin {i % 50},{i}.5,1000,10,0.5,1,2026-01-{1 + i // 5000:02d}T{i % 24:02d}:"
                   f"{i // 24 % 60:02d}:00Z\n" for i in range(40_000))
    await load_csv(pool, tmp_path / "many.csv", body)
    async with client.get("/export/history?from=2026-01-01&to=2026-02-01&format=ndjson") as response:
        assert response.status == 200
        first = await response.content.read(1000)  # then it stops reading: the COPY waits on the connection
        async with asyncio.timeout(10):
            while not (pids := await pool.fetch("SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY%' "
                                                "AND datname = current_database() AND pid <> pg_backend_pid()")):
                await asyncio.sleep(0.05)
        await pool.execute("SELECT pg_terminate_backend($1)", pids[0]["pid"])
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert first.startswith(b'{"symbol":')
    assert (await client.get("/health")).status == 200  # the pool goes on without the lost connection
