"""Hostile clients against a running service: injection, oversized requests, slow-loris, floods, bad tokens."""
from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import asyncpg
import pytest

from tests.faults.support import free_port, running_service, service_env, wait_for

pytestmark = pytest.mark.slow
TOKEN = "hostile-admin-token-0123"
INJECTIONS = [
    "'; DROP TABLE quotes_latest; --",
    "1 OR 1=1",
    "price_usd; DELETE FROM assets",
    "-market_cap_usd,(SELECT pg_sleep(5))",
    "BTC' UNION SELECT * FROM etl_runs --",
    "\x00",
    "%27%3B%20DROP%20TABLE%20assets",
]
PARAMETERS = {
    "/data": ["source", "symbol", "sort", "cursor", "limit", "page", "min_price", "max_price"],
    "/history": ["symbol", "source", "from", "to", "cursor", "limit"],
    "/runs": ["limit", "cursor", "source", "status"],
    "/stats": ["source"],
}


async def table_counts(dsn: str) -> dict:
    connection = await asyncpg.connect(dsn)
    try:
        return {t: await connection.fetchval(f"SELECT count(*) FROM {t}")
                for t in ("assets", "quotes_latest", "quotes_history", "etl_runs", "etl_checkpoints")}
    finally:
        await connection.close()


@pytest.fixture
async def service(empty_database, tmp_path):
    dsn = await empty_database()
    env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_ON_STARTUP="true", API_RATE_LIMIT=0,
                      ADMIN_TOKEN=TOKEN, HTTP_IDLE_TIMEOUT_SECONDS=2)
    async with running_service(env, log_dir=tmp_path) as process:
        await wait_for(lambda: _loaded(dsn), 60, 0.2, "the sample CSV loaded")
        process.dsn = dsn
        yield process


async def _loaded(dsn: str) -> bool:
    return (await table_counts(dsn))["quotes_latest"] > 0


async def test_injection_in_every_parameter_is_refused_or_harmless(service):
    before = await table_counts(service.dsn)
    failures = []
    async with aiohttp.ClientSession() as session:
        for path, names in PARAMETERS.items():
            for name in names:
                for attack in INJECTIONS:
                    params = {"symbol": "BTC"} if path == "/history" and name != "symbol" else {}
                    params[name] = attack
                    started = time.monotonic()
                    async with session.get(f"{service.base_url}{path}", params=params) as response:
                        body = await response.json(content_type=None)
                    if response.status >= 500:
                        failures.append((path, name, attack, response.status))
                    assert time.monotonic() - started < 3, f"{path}?{name}={attack!r} was slow: pg_sleep ran?"
                    if 400 <= response.status < 500:
                        assert body["error"]["code"], body
                    elif response.status == 200 and name not in ("limit", "page"):
                        assert body.get("data") in ([], None) or path in ("/runs", "/stats"), (path, name, body)
    assert not failures, failures
    assert await table_counts(service.dsn) == before
    assert service.alive


async def test_oversized_requests_get_4xx_not_500(service):
    async with aiohttp.ClientSession() as session:
        for kwargs, status, code in (
                ({"url": f"{service.base_url}/data?symbol={'A' * 9000}"}, 414, "uri_too_long"),
                ({"url": f"{service.base_url}/data", "params": {f"p{i}": "x" * 100 for i in range(200)}}, 414,
                 "uri_too_long"),
                ({"url": f"{service.base_url}/data", "headers": {"X-Big": "y" * 20_000}}, 431, "headers_too_large")):
            async with session.get(**kwargs) as response:
                assert response.status == status, response.status
                assert (await response.json())["error"]["code"] == code
                assert response.headers["X-Request-ID"] and "aiohttp" not in response.headers["Server"]
        body = b"{" + b'"x": "' + b"z" * (2 * 1024 * 1024) + b'"}'
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
            async with session.post(f"{service.base_url}/etl/run", data=io.BytesIO(body), headers={
                    "Content-Type": "application/json", **headers}) as response:
                assert response.status == 413, response.status
                assert (await response.json())["error"]["code"] == "payload_too_large"
        async with session.get(f"{service.base_url}/health") as response:
            assert response.status == 200
    assert service.alive


async def test_slow_loris_connections_are_closed_while_others_are_served(service):
    idle = [await asyncio.open_connection("127.0.0.1", service.port) for _ in range(150)]
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(5):
                started = time.monotonic()
                async with session.get(f"{service.base_url}/data?limit=5") as response:
                    assert response.status == 200
                assert time.monotonic() - started < 2
        # the idle ones are dropped by the server's idle timeout (HTTP_IDLE_TIMEOUT_SECONDS=2)
        closed = await asyncio.wait_for(asyncio.gather(*(reader.read() for reader, _ in idle)), 10)
        assert all(data == b"" for data in closed)
    finally:
        for _, writer in idle:
            writer.close()
    assert service.alive


async def test_wrong_admin_token_is_401_and_starts_nothing(service):
    before = await table_counts(service.dsn)
    async with aiohttp.ClientSession() as session:
        for header in ("Bearer wrong", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Basic abc", TOKEN, ""):
            async with session.post(f"{service.base_url}/etl/run", headers={"Authorization": header}) as response:
                body = await response.json()
                assert response.status == 401, (header, response.status)
                assert body["error"]["code"] == "unauthorized" and TOKEN not in str(body)
    assert (await table_counts(service.dsn))["etl_runs"] == before["etl_runs"]


async def test_a_flood_from_one_address_gets_429_with_retry_after(empty_database, tmp_path):
    dsn = await empty_database()
    env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_ON_STARTUP="false")  # API_RATE_LIMIT default 20
    async with running_service(env, log_dir=tmp_path) as service, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=50)) as session:
        async def one(_):
            async with session.get(f"{service.base_url}/data?limit=1") as response:
                return response.status, response.headers.get("Retry-After")

        started = time.monotonic()
        answers = await asyncio.gather(*(one(i) for i in range(1000)))
        took = time.monotonic() - started
        statuses = [status for status, _ in answers]
        assert statuses.count(429) >= 1000 - 40 - 20 * (took + 1), (took, statuses.count(200))
        assert 40 <= statuses.count(200) <= 40 + 20 * (took + 1)
        assert set(statuses) <= {200, 429}
        assert all(int(retry) >= 1 for status, retry in answers if status == 429)
        await asyncio.sleep(1.2)
        async with session.get(f"{service.base_url}/health") as response:
            assert response.status in (200, 503)
