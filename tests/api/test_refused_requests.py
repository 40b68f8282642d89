"""Requests refused before they cost anything: bodies (gzip bombs), unparsable HTTP, out-of-range times, odd tokens."""
from __future__ import annotations

import asyncio
import logging
import socket
import time
import zlib

import pytest

from service.web.unparsable import MAX_HEADER_BYTES, MAX_URL_BYTES
from tests.conftest import replace

TOKEN = "a-long-enough-admin-token"
BOMB_ROUTES = (("POST", "/health"), ("POST", "/etl/run"), ("GET", "/data"), ("PUT", "/"), ("POST", "/nope"))


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()
    assert len(bomb) < 1.2 * (1 << 20)
    return bomb


async def raw_exchange(client, payload: bytes) -> bytes:
    """Bytes no HTTP client library would send, and everything the server answers until it closes."""
    return await asyncio.to_thread(_exchange, client.server.port, payload)


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


async def test_gzip_bombs_are_refused_unread_while_get_root_stays_fast(make_client, settings, gzip_bomb):
    client = await make_client(replace(settings, admin_token=TOKEN))
    slowest = 0.0
    stop = asyncio.Event()

    async def time_root():
        nonlocal slowest
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get("/")
            assert response.status == 200
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(time_root())
    started = time.perf_counter()
    answers = []
    for _ in range(3):
        for method, path in BOMB_ROUTES:
            response = await client.request(method, path, data=gzip_bomb, headers={
                "Content-Encoding": "gzip", "Content-Type": "application/json",
                "Authorization": f"Bearer {TOKEN}"})
            answers.append((path, response.status, (await response.json())["error"]["code"]))
    bombs_took = time.perf_counter() - started
    stop.set()
    await watcher
    assert {status for _, status, _ in answers} == {415}, answers
    assert {code for _, _, code in answers} == {"unsupported_media_type"}
    # inflating 15 GiB would take minutes; sending 15 MB over loopback takes well under a second or two
    assert bombs_took < 10, bombs_took
    assert slowest < 0.5, slowest


async def test_a_plain_body_is_413_and_no_run_starts(make_client, settings, pool):
    client = await make_client(replace(settings, admin_token=TOKEN))
    response = await client.post("/etl/run", data=b'{"sources": ["csv"]}',
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"
    assert await pool.fetchval("SELECT count(*) FROM etl_runs") == 0
    # without a body the same request is accepted
    assert (await client.post("/etl/run", headers={"Authorization": f"Bearer {TOKEN}"})).status == 202


async def test_a_long_url_is_414_and_a_long_header_431_with_the_envelope(client):
    for payload, status, code in (
            (b"GET /data?symbol=" + b"A" * MAX_URL_BYTES + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
            (b"GET /data HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * (MAX_HEADER_BYTES + 100) + b"\r\n\r\n", 431,
             "headers_too_large")):
        got, headers, body = parse(await raw_exchange(client, payload))
        assert got == status, body[:200]
        assert headers["Content-Type"].startswith("application/json")
        assert len(headers["X-Request-ID"]) == 32 and headers["X-Content-Type-Options"] == "nosniff"
        assert b"aiohttp" not in headers["Server"].encode() and b"Python" not in headers["Server"].encode()
        assert f'"code":"{code}"'.encode() in body and headers["X-Request-ID"].encode() in body
    # just under both limits is an ordinary request
    ok = await client.get("/data", params={"symbol": "A" * 60}, headers={"X-Big": "y" * 8000})
    assert ok.status == 200


async def test_a_garbage_chunked_body_logs_one_short_line(client, caplog):
    garbage = b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + bytes(range(256)) * 1500
    with caplog.at_level(logging.DEBUG):
        status, _, body = parse(await raw_exchange(client, garbage))
    assert status == 400 and b'"code":"bad_request"' in body
    logged = [(r.name, len(r.getMessage()) + len(str(r.__dict__.get("error", ""))) + len(r.exc_text or ""))
              for r in caplog.records]
    assert logged and max(size for _, size in logged) < 500, logged
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00",
                                    "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize("name", ["from", "to"])
async def test_times_outside_what_utc_can_hold_are_400_naming_the_parameter(client, moment, name):
    response = await client.get("/history", params={"symbol": "BTC", name: moment})
    assert response.status == 400
    assert list((await response.json())["error"]["fields"]) == [name]


async def test_extreme_times_that_fit_are_accepted(client):
    response = await client.get("/history", params={"symbol": "BTC", "from": "0001-01-01T00:00:00Z",
                                                    "to": "9999-12-31T23:59:59Z"})
    assert response.status == 200 and (await response.json())["data"] == []


async def test_authorization_bytes_that_are_not_latin_1_are_401(make_client, settings):
    client = await make_client(replace(settings, admin_token=TOKEN))
    for value in ("Bearer \u20ac\u20ac\u20ac".encode(), b"Bearer \xff\xfe", b"Bearer " + TOKEN.encode() + b"\x80",
                  "Bearer \U0001f600".encode(), b"\xc3\x28 " + TOKEN.encode(), b"Bearer \xed\xa0\x80"):
        status, headers, body = parse(await raw_exchange(client, _post_with_authorization(value)))
        assert status == 401, (value, status, body)
        assert headers["WWW-Authenticate"] == "Bearer" and b'"code":"unauthorized"' in body
    # bytes HTTP itself forbids in a header never reach the route: the parser's 400, in the envelope
    status, _, body = parse(await raw_exchange(client, _post_with_authorization(b"Bearer \x00x")))
    assert status == 400 and b'"code":"bad_request"' in body


def _post_with_authorization(value: bytes) -> bytes:
    return (b"POST /etl/run HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nAuthorization: " + value
            + b"\r\nConnection: close\r\n\r\n")


async def test_the_access_log_truncates_what_the_client_chose(client, caplog):
    with caplog.at_level(logging.INFO, logger="service.access"):
        response = await client.get("/" + "p" * 7000)
    assert response.status == 404
    [line] = [r for r in caplog.records if r.name == "service.access"]
    assert len(line.path) < 260 and line.path.endswith("(7001 chars)")
