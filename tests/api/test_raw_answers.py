"""Cache hits of plain requests are written as raw bytes (service/web/raw.py): they must say exactly what aiohttp
says for the same answer, keep the connection open, and leave every other request to aiohttp."""
from __future__ import annotations

import asyncio

import orjson

from service.web.keys import RESPONSE_CACHE
from tests.api.helpers import coin_rows, load_csv

PER_REQUEST = {"date", "x-request-id", "content-length"}  # the head of the body varies in length


async def exchange(client, lines: list[str], *, count: int) -> list[tuple[str, dict[str, str], bytes]]:
    """Sends each request in `lines` on one connection and reads `count` answers: (status line, headers, body)."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    answers = []
    try:
        for request in lines:
            writer.write(request.encode())
            await writer.drain()
            status = (await reader.readline()).decode().strip()
            headers = {}
            while (line := (await reader.readline()).decode().strip()):
                name, _, value = line.partition(":")
                assert name.lower() not in headers, f"{name} sent twice"
                headers[name.lower()] = value.strip()
            body = await reader.readexactly(int(headers["content-length"]))
            answers.append((status, headers, body))
        assert len(answers) == count
        return answers
    finally:
        writer.close()


def after_head(body: bytes) -> bytes:
    """The body after its per-request head (request_id, api_latency_ms)."""
    return body[body.index(b',"', body.index(b'"api_latency_ms"')):]


def get(path: str, *extra: str, version: str = "1.1") -> str:
    return "\r\n".join((f"GET {path} HTTP/{version}", "Host: test", *extra, "", ""))


async def test_a_raw_answer_says_what_aiohttp_says_and_keeps_the_connection(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    # above and below 1 KB (Vary), cached with an ETag, and /health's reused check without one
    for path in ("/data?limit=2", "/data?limit=1", "/history?symbol=C0&limit=2", "/health"):
        (status, reference, body), answers = await unchanged_round(client, path)
        for hit_status, headers, hit_body in answers:
            assert hit_status == status == "HTTP/1.1 200 OK", path
            assert {k: v for k, v in headers.items() if k not in PER_REQUEST} == \
                {k: v for k, v in reference.items() if k not in PER_REQUEST}, path
            assert PER_REQUEST <= headers.keys()
            assert after_head(hit_body) == after_head(body)
            assert orjson.loads(hit_body)["request_id"] == headers["x-request-id"]


async def unchanged_round(client, path: str):
    """aiohttp's answer to `path` (asked with Origin, which a raw answer does not serve; its CORS headers left out)
    and three plain answers on one kept-open connection, all from one stored answer: a round that a change
    underneath (the load's notification arriving late, /health's check aging past its second on a slow machine)
    split is asked again."""
    cache = client.server.app[RESPONSE_CACHE]
    for _ in range(20):
        hits = cache.hits
        (reference, ) = await exchange(client, [get(path, "Origin: https://example.org")], count=1)
        answers = await exchange(client, [get(path)] * 3, count=3)
        one_answer = len({after_head(body) for _, _, body in (reference, *answers)}) == 1
        if one_answer and (path == "/health" or cache.hits == hits + 4):
            status, headers, body = reference
            return (status, {k: v for k, v in headers.items() if not k.startswith("access-control-")}, body), answers
    raise AssertionError(f"{path}: no round of four requests was answered from one stored answer")


async def test_requests_asking_for_more_than_a_raw_hit_says_get_aiohttps_answer(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    path = "/data?limit=2"
    (_, plain, _), = await exchange(client, [get(path)], count=1)
    (_, cors, _), = await exchange(client, [get(path, "Origin: https://example.org")], count=1)
    assert cors["access-control-allow-origin"] == "*" and "access-control-allow-origin" not in plain
    (_, gzipped, body), = await exchange(client, [get(path, "Accept-Encoding: gzip")], count=1)
    assert gzipped["content-encoding"] == "gzip" and body[:2] == b"\x1f\x8b"
    (_, closing, _), = await exchange(client, [get(path, "Connection: close")], count=1)
    assert closing["connection"].lower() == "close"
    (status, old, _), = await exchange(client, [get(path, version="1.0")], count=1)
    assert status.startswith("HTTP/1.") and old["etag"] == plain["etag"]
