"""The response cache of /data, /history and /assets: fresh after each committed batch, per-request head, 304, gzip."""
from __future__ import annotations

import asyncio
import gzip
import zlib

import orjson
from aiohttp import hdrs

from service.jsonutil import dumps, loads_exact
from service.web.cache import ResponseCache
from service.web.keys import RESPONSE_CACHE
from tests.api.helpers import coin_rows, health, load_csv

ROW_COLUMNS = ("symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd, "
               "percent_change_24h, percent_change_1h, percent_change_7d, circulating_supply, total_supply, "
               "max_supply, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, ath_price_usd, ath_at, "
               "observed_at, ingested_at")


def cache_of(client) -> ResponseCache:
    return client.server.app[RESPONSE_CACHE]


async def poll(client, path: str, done, *, headers=None, seconds: float = 5.0):
    """The first answer for which done(response, body) holds: the NOTIFY reaches the app asynchronously."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await client.get(path, headers=headers)
        body = await response.read()
        if done(response, body) or asyncio.get_running_loop().time() > deadline:
            return response, body
        await asyncio.sleep(0.05)


async def test_a_cached_answer_is_dropped_when_a_batch_commits(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(2))
    paths = ("/data?limit=10", "/history?symbol=C0", "/assets/C0")
    for _ in range(100):  # the load's NOTIFY reaches the app asynchronously and empties the cache once
        before = {path: loads_exact(await (await client.get(path)).read()) for path in paths}
        if len(cache_of(client)) == 3:
            break
        await asyncio.sleep(0.05)
    assert len(cache_of(client)) == 3
    # a write that sends no NOTIFY stays invisible: proof the answers come from the cache
    assert await pool.execute("UPDATE quotes_history SET name = 'Renamed' WHERE symbol = 'C0'") == "UPDATE 1"
    assert await pool.execute("UPDATE quotes_latest SET name = 'Renamed' WHERE symbol = 'C0'") == "UPDATE 1"
    for path in paths:
        again = loads_exact(await (await client.get(path)).read())
        assert "Renamed" not in orjson.dumps(again, default=str).decode()
        assert again["request_id"] != before[path]["request_id"]
    await load_csv(pool, tmp_path / "b.csv", coin_rows(1, hour=3, price="2") + coin_rows(1, prefix="D"))
    _, data = await poll(client, "/data?limit=10", lambda r, b: len(orjson.loads(b)["data"]) == 3)
    assert {r["symbol"] for r in orjson.loads(data)["data"]} == {"C0", "C1", "D0"}
    _, history = await poll(client, "/history?symbol=C0", lambda r, b: len(orjson.loads(b)["data"]) == 2)
    assert [r["observed_at"] for r in orjson.loads(history)["data"]] == [
        "2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z"]
    assert orjson.loads(history)["data"][0]["name"] == "Renamed"
    _, asset = await poll(client, "/assets/C0", lambda r, b: b'"price_usd":2' in b)
    assert [s["price_usd"] for s in orjson.loads(asset)["assets"][0]["sources"]] == [2]


async def test_request_id_is_fresh_on_every_hit_and_matches_the_header(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    for path in ("/data?limit=2", "/history?symbol=C1", "/assets/C2"):
        seen = set()
        for _ in range(3):
            response = await client.get(path)
            raw = await response.read()
            body = orjson.loads(raw)
            assert response.status == 200 and raw.startswith(b'{"request_id":"')
            assert list(body)[:2] == ["request_id", "api_latency_ms"]
            assert body["request_id"] == response.headers["X-Request-ID"]
            assert isinstance(body["api_latency_ms"], float) and body["api_latency_ms"] >= 0
            seen.add(body["request_id"])
        assert len(seen) == 3
        sent = await client.get(path, headers={"X-Request-ID": "caller-7"})
        assert sent.headers["X-Request-ID"] == "caller-7" and (await sent.json())["request_id"] == "caller-7"


async def test_a_bad_parameter_is_a_400_even_next_to_a_cached_good_query(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    assert (await client.get("/data?limit=5")).status == 200
    assert (await client.get("/history?symbol=C0&limit=5")).status == 200
    for bad in ("/data?limit=5x", "/data?limit=5&sort=bogus", "/data?limit=0", "/history?symbol=C0&limit=5000",
                "/history?limit=5", "/history?symbol=C0&limit=5&from=yesterday"):
        for _ in range(2):
            response = await client.get(bad)
            assert response.status == 400, bad
            assert (await response.json())["error"]["code"] == "invalid_parameters"
    # the key is the raw query string: an encoded '&' is part of the symbol, not a second parameter
    assert len((await (await client.get("/history?symbol=C0&limit=1")).json())["data"]) == 1
    encoded = await client.get("/history?symbol=C0%26limit%3D1")
    assert (await encoded.json())["symbol"] == "C0&LIMIT=1" and (await encoded.json())["data"] == []


async def test_concurrent_misses_of_one_query_compute_it_once(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(2) + coin_rows(2, hour=1))
    cache = cache_of(client)
    before = cache.misses
    responses = await asyncio.gather(*(client.get("/history?symbol=C1&limit=5") for _ in range(10)))
    bodies = [orjson.loads(await response.read()) for response in responses]
    assert [response.status for response in responses] == [200] * 10
    assert cache.misses - before == 1 and cache.waits + cache.hits >= 9
    assert len({body["request_id"] for body in bodies}) == 10
    assert all(body["data"] == bodies[0]["data"] and len(body["data"]) == 2 for body in bodies)
    bad = await asyncio.gather(*(client.get("/history?symbol=C1&limit=-1") for _ in range(5)))
    assert [response.status for response in bad] == [400] * 5


async def test_304_on_cache_hits_until_the_data_changes(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    etags = {}
    for path in ("/data?limit=2", "/history?symbol=C1"):
        first = await client.get(path)
        hit = await client.get(path)
        etag = etags[path] = first.headers["ETag"]
        assert hit.headers["ETag"] == etag and hit.headers["Cache-Control"] == "no-cache"
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status == 304 and again.headers["ETag"] == etag and await again.read() == b""
        assert again.headers["X-Request-ID"]
    await load_csv(pool, tmp_path / "b.csv", coin_rows(3, hour=5, price="2"))
    for path, etag in etags.items():
        response, body = await poll(client, path, lambda r, b: r.status == 200, headers={"If-None-Match": etag})
        assert response.status == 200 and response.headers["ETag"] != etag
        assert b'"price_usd":2' in body


async def test_gzip_on_cache_hits(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(30))
    path = "/data?limit=30"
    plain = loads_exact(await (await client.get(path, headers={"Accept-Encoding": "identity"})).read())
    ids = set()
    for _ in range(3):  # the first may be the miss, compressed by aiohttp; the others are precompressed hits
        response = await client.get(path, headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False)
        assert response.headers[hdrs.CONTENT_ENCODING] == "gzip"
        assert response.headers[hdrs.VARY] == "Accept-Encoding"
        raw = await response.read()
        body = loads_exact(gzip.decompress(raw))
        single_member = zlib.decompressobj(wbits=31)
        assert loads_exact(single_member.decompress(raw)) == body and single_member.eof
        assert body["request_id"] == response.headers["X-Request-ID"]
        assert {k: v for k, v in body.items() if k not in ("request_id", "api_latency_ms")} == \
            {k: v for k, v in plain.items() if k not in ("request_id", "api_latency_ms")}
        ids.add(body["request_id"])
    assert len(ids) == 3
    identity = await client.get(path, headers={"Accept-Encoding": "identity"}, auto_decompress=False)
    assert hdrs.CONTENT_ENCODING not in identity.headers
    assert loads_exact(await identity.read())["data"] == plain["data"]


async def test_history_json_made_by_postgresql_is_the_services_own_json(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3, prefix="X") + coin_rows(2, prefix="X", hour=1))
    await pool.execute("""
        UPDATE quotes_history SET name = E'Qu\\"ote \\\\ \u00e9\u4e2d \\x01 tab\\t',
               price_usd = 0.000000000012345678901234567890, market_cap_usd = NULL, rank = NULL,
               total_supply = 21000000.000, percent_change_24h = -0.50, percent_change_7d = -12.0100,
               ath_price_usd = 69045, ath_at = '2021-11-10T14:24:11.849Z',
               observed_at = observed_at + interval '0.25 seconds', ingested_at = ingested_at + interval '7 us'
        WHERE symbol = 'X1' AND observed_at = '2026-01-01T01:00:00Z'""")
    await pool.execute("UPDATE quotes_history SET ingested_at = date_trunc('second', ingested_at) "
                       "WHERE symbol = 'X0'")
    rows = await pool.fetch(f"SELECT {ROW_COLUMNS} FROM quotes_history WHERE symbol = 'X1' "
                            "ORDER BY observed_at, source, coin_id")
    response = await client.get("/history?symbol=x1&limit=1")
    raw = await response.read()
    body = orjson.loads(raw)
    expected_page = dumps([dict(rows[0])])
    assert raw.endswith(b',"symbol":"X1","data":' + expected_page + b',"limit":1,"next_cursor":"'
                        + body["next_cursor"].encode() + b'"}')
    second = await client.get(f"/history?symbol=X1&limit=1&cursor={body['next_cursor']}")
    raw = await second.read()
    assert raw.endswith(b',"data":' + dumps([dict(rows[1])]) + b',"limit":1,"next_cursor":null}')
    assert b'"observed_at":"2026-01-01T01:00:00.250000Z"' in raw and b"0.000000000012345678901234567890" in raw
    whole = await client.get("/history?symbol=X0")
    zero_rows = await pool.fetch(f"SELECT {ROW_COLUMNS} FROM quotes_history WHERE symbol = 'X0' "
                                 "ORDER BY observed_at, source, coin_id")
    assert (await whole.read()).endswith(b',"data":' + dumps([dict(r) for r in zero_rows])
                                         + b',"limit":100,"next_cursor":null}')


def test_cache_is_one_generation_bounded_and_expires():
    cache = ResponseCache(max_entries=3, max_bytes=8000, ttl_seconds=60)
    for i in range(4):
        cache.put(f"/data?limit={i}", 1, b"}", None)
    assert len(cache) == 3 and cache.get("/data?limit=0", 1) is None and cache.get("/data?limit=3", 1)
    cache.get("/data?limit=1", 1)  # used: the least recently used is now limit=2
    cache.put("/big", 1, b"," + b"x" * 900 + b"}", None)
    assert cache.get("/data?limit=2", 1) is None and cache.get("/data?limit=1", 1) is not None
    cache.put("/too-big", 1, b"x" * 1001, None)  # more than an eighth of the bytes: never kept
    assert cache.get("/too-big", 1) is None
    assert cache.get("/data?limit=1", 2) is None and len(cache) == 0  # the data moved on: all gone
    cache.put("/stale", 1, b"}", None)  # computed before the change: not kept
    assert cache.get("/stale", 2) is None
    expiring = ResponseCache(ttl_seconds=0)
    expiring.put("/data", 1, b"}", None)
    assert expiring.get("/data", 1) is None


def test_precompressed_gzip_is_head_plus_rest():
    cache = ResponseCache()
    rest = b',"data":[' + b",".join(b'{"n":%d}' % i for i in range(500)) + b"]}"
    cache.put("/data", 1, rest, 'W/"x"')
    entry = cache.get("/data", 1)
    for head in (b'{"request_id":"a","api_latency_ms":0.5', b'{"request_id":"' + b"b" * 100 + b'"'):
        packed = entry.gzipped(head)
        assert gzip.decompress(packed) == head + rest
        assert len(packed) < len(rest) // 2


async def test_a_large_cached_page_is_its_first_answer_byte_for_byte_after_the_head(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(200))
    path = "/data?limit=200"
    first = await client.get(path, headers={"Accept-Encoding": "identity"})
    hit = await client.get(path, headers={"Accept-Encoding": "identity"})
    first_body, hit_body = await first.read(), await hit.read()
    assert len(hit_body) > 64 * 1024 and int(hit.headers["Content-Length"]) == len(hit_body)
    assert cache_of(client).hits >= 1
    # the head (request_id, api_latency_ms) is per request; everything after it is the same bytes
    assert first_body[first_body.index(b',"data":'):] == hit_body[hit_body.index(b',"data":'):]
    assert orjson.loads(hit_body)["request_id"] == hit.headers["X-Request-ID"]


async def test_concurrent_health_checks_share_one_database_round_trip(client):
    responses = await asyncio.gather(*(client.get("/health") for _ in range(20)))
    bodies = [await response.json() for response in responses]
    assert [response.status for response in responses] == [200] * 20
    assert len({body["request_id"] for body in bodies}) == 20
    assert len({body["checked_at"] for body in bodies}) < 20


async def test_health_reuses_a_recent_check_until_a_run_is_written_anywhere(client, pool):
    first = await health(client)
    again = await health(client)
    assert again["checked_at"] == first["checked_at"] and again["request_id"] != first["request_id"]
    # written by another connection, as another replica's ETL or an operator would: the trigger's notification
    # ends the reuse
    run = await pool.fetchval("INSERT INTO etl_runs (source, status) VALUES ('csv', 'running') RETURNING id")
    body = await health(client, after=first)
    csv = next(s for s in body["sources"] if s["source"] == "csv")
    assert csv["last_run"]["id"] == run and csv["last_run"]["status"] == "running"
