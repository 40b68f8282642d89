"""GET /candles against candles computed independently in Python from the same history rows."""
from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from service.api.candle_schemas import INTERVALS
from service.sql import SQL
from tests.api.helpers import load_csv

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def _moments(rng: random.Random) -> list[datetime]:
    """Irregular times over three days, with bucket edges and the microsecond before them on purpose."""
    moments = {START + timedelta(seconds=rng.randrange(3 * 86400)) for _ in range(400)}
    for hours in (0, 1, 4, 24, 25, 48):
        edge = START + timedelta(hours=hours)
        moments |= {edge, edge - timedelta(microseconds=1), edge + timedelta(microseconds=1)}
    return sorted(moments)


def _long_price(rng: random.Random) -> str:
    """Prices with more digits than a float holds; some repeat exactly, so ties of high/low happen."""
    return rng.choice(["1.000000000000000000000000000001", "0.000000000000000123456789",
                       f"{rng.randrange(1, 99999)}.{rng.randrange(10**29):029d}7"])


async def _load(pool, tmp_path) -> None:
    rng = random.Random(12)
    lines = []
    for symbol, name in (("LONG", "Long One"), ("LONG", "Long Two"), ("OTHR", "Other")):
        for moment in _moments(rng):
            stamp = moment.isoformat().replace("+00:00", "Z")
            lines.append(f"{symbol},{name},{_long_price(rng)},,,,,{stamp}\n")
    rng.shuffle(lines)
    # the same observations again in a second file: history keeps each once, so candles count them once
    await load_csv(pool, tmp_path / "a.csv", "".join(lines))
    await load_csv(pool, tmp_path / "b.csv", "".join(lines[::3]))


async def _expected(pool, symbol: str, seconds: int, source: str | None = None) -> list[dict]:
    """The candles computed in Python from the history rows (a different path from the SQL under test)."""
    rows = await pool.fetch("SELECT source, coin_id, observed_at, price_usd FROM quotes_history WHERE symbol = $1",
                            symbol)
    buckets: dict[tuple, list] = defaultdict(list)
    for row in rows:
        if source and row["source"] != source:
            continue
        since_epoch = int((row["observed_at"] - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(seconds=1))
        start = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=since_epoch // seconds * seconds)
        buckets[(start, row["source"], row["coin_id"])].append((row["observed_at"], row["price_usd"]))
    candles = []
    for (start, src, coin_id), observations in sorted(buckets.items()):
        observations.sort()
        prices = [price for _, price in observations]
        candles.append({"bucket_start": start.isoformat().replace("+00:00", "Z"), "source": src,
                        "coin_id": coin_id, "open": prices[0], "high": max(prices), "low": min(prices),
                        "close": prices[-1], "observations": len(prices)})
    return candles


async def _walk(client, params: dict) -> list[dict]:
    """Every page, following next_cursor; the exact text of each price is kept to compare digits."""
    items, cursor = [], None
    for _ in range(10_000):
        response = await client.get("/candles", params={**params, "cursor": cursor} if cursor else params)
        assert response.status == 200, await response.text()
        body = json.loads(await response.text(), parse_float=Decimal, parse_int=Decimal)
        items.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        params = {"limit": params["limit"]}
    raise AssertionError("the cursor never ended")


def _as_text(candles: list[dict]) -> list[dict]:
    return [{k: str(v) for k, v in candle.items()} for candle in candles]


async def test_every_interval_matches_python_candles_across_pages(client, pool, tmp_path):
    await _load(pool, tmp_path)
    for interval, seconds in INTERVALS.items():
        expected = await _expected(pool, "LONG", seconds)
        assert len({(c["source"], c["coin_id"]) for c in expected}) == 2  # two coins share the symbol
        got = await _walk(client, {"symbol": "long", "interval": interval, "limit": "37"})
        # exact digits: each price's text is the text PostgreSQL holds, never a float's rounding
        assert _as_text(got) == _as_text(expected), interval
    counts = sum(c["observations"] for c in await _walk(client, {"symbol": "LONG", "interval": "1d", "limit": "1000"}))
    assert counts == await pool.fetchval("SELECT count(*) FROM quotes_history WHERE symbol = 'LONG'")


async def test_from_and_to_pick_buckets_by_start_and_keep_them_whole(client, pool, tmp_path):
    await _load(pool, tmp_path)
    expected = await _expected(pool, "LONG", 3600)
    lo, hi = "2026-01-01T10:30:00Z", "2026-01-02T05:00:00Z"
    inside = [c for c in expected if "2026-01-01T11:00:00Z" <= c["bucket_start"] <= "2026-01-02T05:00:00Z"]
    got = await _walk(client, {"symbol": "LONG", "interval": "1h", "from": lo, "to": hi, "limit": "5"})
    assert _as_text(got) == _as_text(inside)
    assert got[-1]["bucket_start"] == "2026-01-02T05:00:00Z" and got[-1]["observations"] > 1


async def test_source_filter_and_an_unknown_symbol(client, pool, tmp_path):
    await _load(pool, tmp_path)
    got = await _walk(client, {"symbol": "OTHR", "interval": "4h", "source": "csv", "limit": "1000"})
    assert _as_text(got) == _as_text(await _expected(pool, "OTHR", 14400, "csv"))
    assert await _walk(client, {"symbol": "OTHR", "source": "coingecko", "limit": "10"}) == []
    assert await _walk(client, {"symbol": "NOPE", "limit": "10"}) == []


async def test_default_interval_limit_and_etag(client, pool, tmp_path):
    await _load(pool, tmp_path)
    response = await client.get("/candles", params={"symbol": "LONG"})
    body = await response.json()
    assert (body["interval"], body["limit"], body["next_cursor"]) == ("1h", 200, None)
    assert len(body["data"]) == len(await _expected(pool, "LONG", 3600)) > 100
    assert body["request_id"] and "api_latency_ms" in body
    five = await (await client.get("/candles", params={"symbol": "LONG", "interval": "5m"})).json()
    assert len(five["data"]) == 200 and five["next_cursor"]
    etag = response.headers["ETag"]
    again = await client.get("/candles", params={"symbol": "LONG"}, headers={"If-None-Match": etag})
    assert again.status == 304
    await load_csv(pool, tmp_path / "c.csv", "LONG,Long One,3,,,,,2026-02-01T00:00:00Z\n")
    # the change notification reaches the app through LISTEN; poll until the generation moves on
    for _ in range(100):
        changed = await client.get("/candles", params={"symbol": "LONG"}, headers={"If-None-Match": etag})
        if changed.status == 200:
            break
        await asyncio.sleep(0.05)
    assert changed.status == 200


async def test_bad_parameters_are_400s_naming_them(client, pool, tmp_path):
    await _load(pool, tmp_path)
    cases = {"interval": {"symbol": "LONG", "interval": "2h"}, "limit": {"symbol": "LONG", "limit": "0"},
             "symbol": {"interval": "1h"}, "from": {"symbol": "LONG", "from": "2026-02-01", "to": "2026-01-01"},
             "to": {"symbol": "LONG", "to": "yesterday"}}
    for name, params in cases.items():
        response = await client.get("/candles", params=params)
        assert response.status == 400, (name, await response.text())
        assert name in (await response.json())["error"]["fields"], name
    first = await (await client.get("/candles", params={"symbol": "LONG", "interval": "5m", "limit": "2"})).json()
    for params in ({"cursor": first["next_cursor"], "interval": "1h"}, {"cursor": "bm90LWEtY3Vyc29y"}):
        response = await client.get("/candles", params=params)
        assert response.status == 400 and "cursor" in (await response.json())["error"]["fields"]
    assert (await client.get("/candles", params={"cursor": first["next_cursor"], "interval": "5m"})).status == 200


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_work_is_bounded_by_the_limit_not_the_history(pool, tmp_path):
    body = "".join(f"BIG,Big,{h % 97 + 1},,,,,{(START + timedelta(hours=h)).isoformat()}\n" for h in range(20_000))
    await load_csv(pool, tmp_path / "a.csv", body)
    await pool.execute("ANALYZE quotes_history")
    plan = json.loads(await pool.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + SQL.select_candles_page_json,
        "BIG", None, 86400, _EARLIEST, _LATEST, _EARLIEST, "", "", 11))[0]["Plan"]
    reads = [n for n in _nodes(plan) if str(n.get("Relation Name", "")).startswith("quotes_history")]
    rows_read = sum(n["Actual Rows"] * n["Actual Loops"] for n in reads)
    # 11 daily buckets of 24 observations plus one probe per bucket, out of 20,000 rows
    assert 0 < rows_read <= 11 * 24 + 11 + 24, rows_read


async def test_candles_in_the_openapi_document_and_linked_from_root(client):
    spec = await (await client.get("/api/docs/swagger.json")).json()
    operation = spec["paths"]["/candles"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"symbol", "interval", "source", "from", "to", "limit", "cursor"} <= set(params)
    assert all(i in json.dumps(params["interval"]) for i in INTERVALS)
    assert "Candle" in json.dumps(operation["responses"]["200"])
    links = (await (await client.get("/")).json())["links"]
    assert links["candles"].startswith("/candles?") and links["dashboard"] == "/dashboard"
