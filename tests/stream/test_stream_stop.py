"""SIGTERM with 100 open streams: every stream ends cleanly and the service exits 0 inside the 10 s budget."""
from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from tests.faults.support import drop_database, fresh_database, free_port, running_service, service_env
from tests.stream.sse import opening_id

pytestmark = pytest.mark.slow
STREAMS = 100


async def test_sigterm_with_100_open_streams_exits_0_within_10_s(pg_admin_url, tmp_path):
    dsn = await fresh_database(pg_admin_url)
    env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_ON_STARTUP="false", API_RATE_LIMIT="0")
    try:
        async with running_service(env, log_dir=tmp_path) as service, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            streams = [await session.get(f"{service.base_url}/stream") for _ in range(STREAMS)]
            try:
                assert {response.status for response in streams} == {200}
                await asyncio.gather(*(opening_id(response) for response in streams))
                service.signal(signal.SIGTERM)
                asked = time.monotonic()
                # each stream ends with the chunked terminator: read() returns, no payload error
                await asyncio.wait_for(asyncio.gather(*(response.read() for response in streams)), 10)
                code = await service.wait(10)
                took = time.monotonic() - asked
            finally:
                for response in streams:
                    response.close()
            assert code == 0, service.log_tail()
            assert took < 10, f"stopping took {took:.1f} s"
            assert "received SIGTERM" in service.log_text()
    finally:
        await drop_database(pg_admin_url, dsn)
