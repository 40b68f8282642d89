"""Replicas: two and three service processes on one database, started at the same instant."""
from __future__ import annotations

import asyncio
import math
import time

import aiohttp
import asyncpg
import pytest

from service.settings import PROJECT_ROOT
from tests.fakes.upstream import FakeCoinPaprika, Fault, make_paprika_tickers
from tests.faults.support import ServiceProcess, free_port, service_env

pytestmark = pytest.mark.slow
INTERVAL = 3.0
WINDOW = 12.0
MIGRATIONS = sorted(p.name.removesuffix(".sql") for p in (PROJECT_ROOT / "migrations").glob("*.sql")
                    if not p.name.endswith(".rollback.sql"))


@pytest.mark.parametrize("replicas", [2, 3])
async def test_replicas_share_one_database_without_stepping_on_each_other(
        replicas, empty_database, aiohttp_server, tmp_path):
    fake = FakeCoinPaprika(make_paprika_tickers(200))
    fake.faults.append(Fault(delay=1.0, times=10 ** 6))  # a run holds its source's lock for a second
    server = await aiohttp_server(fake.make_app())
    dsn = await empty_database()
    services = [ServiceProcess(service_env(
        DATABASE_URL=dsn, PORT=free_port(), ETL_SOURCES="csv,coinpaprika", ETL_ON_STARTUP="true",
        ETL_INTERVAL_SECONDS=INTERVAL, COINPAPRIKA_BASE_URL=fake.base_url(server),
        COINPAPRIKA_REQUESTS_PER_SECOND=1000, API_RATE_LIMIT=0), log_dir=tmp_path) for _ in range(replicas)]
    try:
        await asyncio.gather(*(s.start() for s in services))
        started = time.monotonic()
        await asyncio.gather(*(s.wait_ready() for s in services))
        await asyncio.sleep(max(0.0, WINDOW - (time.monotonic() - started)))
        async with aiohttp.ClientSession() as session:
            for service in services:
                async with session.get(f"{service.base_url}/data?limit=500") as response:
                    body = await response.json()
                    assert response.status == 200, body
                    assert {r["source"] for r in body["data"]} == {"csv", "coinpaprika"}
        assert all(s.alive for s in services)
    finally:
        await asyncio.gather(*(s.close() for s in services))
    window = time.monotonic() - started

    connection = await asyncpg.connect(dsn)
    try:
        applied = await connection.fetch("SELECT migration_id FROM _yoyo_migration ORDER BY migration_id")
        runs = await connection.fetch("SELECT source, status, worker, started_at, finished_at, error FROM etl_runs "
                                      "ORDER BY source, started_at")
    finally:
        await connection.close()

    assert [r["migration_id"] for r in applied] == MIGRATIONS
    records = [r for s in services for r in s.log_records()]
    assert not [r for r in records if r.get("level") in ("ERROR", "CRITICAL")], "errors logged"
    assert sum(r.get("message") == "applied migrations" for r in records) == 1
    assert any("skipped" in r.get("message", "") for r in records), "no replica logged a skip"
    most = math.ceil(window / INTERVAL) + 1
    too_often = []
    for source in ("coinpaprika", "csv"):
        mine = [r for r in runs if r["source"] == source and r["finished_at"] is not None]
        assert mine, f"{source} never ran"
        for before, after in zip(mine, mine[1:]):
            assert before["finished_at"] <= after["started_at"], f"{source} runs overlap: {before} {after}"
        assert all(r["status"] == "success" for r in mine), mine
        if len(mine) > most:
            too_often.append(f"{source} ran {len(mine)} times in {window:.0f} s (about {most - 1} expected)")
    # the lock stops overlap; the scheduler's half-interval gap stops each replica running a quick source
    assert too_often == []
