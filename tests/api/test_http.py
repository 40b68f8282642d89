"""Cross-cutting HTTP behaviour: request ids, ETag/304, gzip, the error envelope."""
from __future__ import annotations

import gzip
import time

import asyncpg
from aiohttp import hdrs

from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace


async def test_request_id_is_echoed_or_made(client):
    response = await client.get("/stats", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert (await response.json())["request_id"] == "abc-123"
    made = await client.get("/runs/abc")
    assert len(made.headers["X-Request-ID"]) == 32
    assert (await made.json())["request_id"] == made.headers["X-Request-ID"]
    insane = await client.get("/history?symbol=BTC", headers={"X-Request-ID": "bad id\twith tab"})
    assert insane.headers["X-Request-ID"] != "bad id\twith tab"


async def test_unchanged_data_and_history_answer_304(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    for path, other_path in (("/data?limit=2", "/data?limit=1"), ("/history?symbol=C1", "/history?symbol=C1&limit=1")):
        first = await client.get(path)
        etag = first.headers["ETag"]
        assert first.status == 200 and etag.startswith('W/"')
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status == 304 and again.headers["ETag"] == etag
        other = await client.get(other_path, headers={"If-None-Match": etag})
        assert other.status == 200


async def test_history_etag_changes_when_a_batch_commits(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(1))
    first = await client.get("/history?symbol=C0")
    etag = first.headers["ETag"]
    await load_csv(pool, tmp_path / "b.csv", coin_rows(1, hour=3))
    for _ in range(50):  # the NOTIFY reaches the app's listener asynchronously
        response = await client.get("/history?symbol=C0", headers={"If-None-Match": etag})
        if response.status == 200:
            break
    assert response.status == 200
    assert len((await response.json())["data"]) == 2


async def test_gzip_for_large_json_when_accepted(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(30))
    response = await client.get("/data?limit=30", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert response.headers[hdrs.CONTENT_ENCODING] == "gzip"
    raw = await response.read()
    assert gzip.decompress(raw).startswith(b'{"request_id"')
    plain = await client.get("/data?limit=30", headers={"Accept-Encoding": "identity"}, auto_decompress=False)
    assert hdrs.CONTENT_ENCODING not in plain.headers and (await plain.read()).startswith(b"{")
    small = await client.get("/runs/abc", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert hdrs.CONTENT_ENCODING not in small.headers


async def test_unknown_route_and_method_are_json_envelopes(client):
    missing = await client.get("/nope")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"
    wrong = await client.delete("/stats")
    assert wrong.status == 405 and (await wrong.json())["error"]["code"] == "method_not_allowed"


async def test_rate_limit_answers_429_with_retry_after(make_client, settings):
    client = await make_client(replace(settings, api_rate_limit=1))
    statuses = [(await client.get("/runs/abc")).status for _ in range(4)]
    assert statuses[:2] == [400, 400] and 429 in statuses[2:]
    limited = await client.get("/stats")
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    assert (await limited.json())["error"]["code"] == "rate_limited"


async def test_a_database_that_does_not_answer_is_a_prompt_503(make_client, settings, database_url):
    client = await make_client(replace(settings, db_timeout_seconds=0.5))
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE etl_runs, quotes_history IN ACCESS EXCLUSIVE MODE")
        for path in ("/stats", "/runs", "/runs/1", "/history?symbol=BTC&source=csv"):
            started = time.monotonic()
            response = await client.get(path)
            assert response.status == 503, (path, await response.text())
            assert time.monotonic() - started < 3
            assert (await response.json())["error"]["code"] == "service_unavailable"
        await transaction.rollback()
    finally:
        await blocker.close()
    assert (await client.get("/stats")).status == 200
