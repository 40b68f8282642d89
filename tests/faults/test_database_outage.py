"""Database outage: PostgreSQL stops under a running service, then comes back; the service rides it out."""
from __future__ import annotations

import time

import aiohttp
import asyncpg
import pytest

from tests.faults.support import (canonical_dump, free_port, fresh_database, running_service,
                                  service_env, tcp_postgres, wait_for)

pytestmark = pytest.mark.slow
TOKEN = "outage-admin-token"


async def fetch_runs(dsn: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn, timeout=3)
    try:
        return await connection.fetch("SELECT id, status, error, rows_read FROM etl_runs ORDER BY id")
    finally:
        await connection.close()


async def history_count(dsn: str) -> int:
    connection = await asyncpg.connect(dsn, timeout=3)
    try:
        return await connection.fetchval("SELECT count(*) FROM quotes_history")
    finally:
        await connection.close()


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as response:
        return response.status, await response.json(), time.monotonic() - started


async def test_service_survives_a_database_outage_and_resumes_the_failed_run(big_csv, big_csv_reference, tmp_path):
    with tcp_postgres() as pg:
        dsn = await fresh_database(pg.url())
        env = service_env(DATABASE_URL=dsn, PORT=free_port(), CSV_PATH=big_csv, ADMIN_TOKEN=TOKEN,
                          ETL_ON_STARTUP="true", ETL_INTERVAL_SECONDS=3600, DB_TIMEOUT_SECONDS=2)
        async with running_service(env, log_dir=tmp_path) as service, aiohttp.ClientSession() as session:
            # the start-up run is part-way through the file when the database goes away
            await wait_for(lambda: _between(history_count(dsn), 1, 150_000), 60, 0.05, "a part-loaded file")
            pg.stop("immediate")
            stopped = time.monotonic()

            async def unhealthy():
                status, body, _ = await get(session, f"{service.base_url}/health")
                return status == 503 and body["status"] == "unhealthy" and body["database"] == "disconnected"

            await wait_for(unhealthy, 5, 0.2, "/health 503 unhealthy")
            assert time.monotonic() - stopped < 5
            status, body, took = await get(session, f"{service.base_url}/data?limit=5")
            assert status == 503, body
            assert body["error"]["code"] and body["error"]["message"] and "request_id" in body
            assert took < 5, f"/data took {took:.1f} s while the database was down"
            status, body, took = await get(session, f"{service.base_url}/data?limit=5&sort=price_usd")
            assert status == 503 and took < 5
            async with session.post(f"{service.base_url}/etl/run",
                                    headers={"Authorization": f"Bearer {TOKEN}"}) as response:
                assert response.status == 503, await response.text()
            assert service.alive, service.log_tail()

            pg.start()
            restarted = time.monotonic()

            async def healthy():
                status, body, _ = await get(session, f"{service.base_url}/health")
                return status == 200 and body["database"] == "connected"

            await wait_for(healthy, 10, 0.2, "/health 200 after the database came back")
            assert time.monotonic() - restarted < 10
            interrupted = await fetch_runs(dsn)

            async def triggered():
                # the interrupted run may still be winding down (an outage shorter than its timeouts): 409 until
                # it has, then 202
                async with session.post(f"{service.base_url}/etl/run",
                                        headers={"Authorization": f"Bearer {TOKEN}"}) as response:
                    assert response.status in (202, 409), await response.text()
                    return response.status == 202

            await wait_for(triggered, 10, 0.2, "POST /etl/run accepted once the interrupted run ended")

            async def finished():
                runs = await fetch_runs(dsn)
                return runs if len(runs) > len(interrupted) and runs[-1]["status"] != "running" else None

            runs = await wait_for(finished, 60, 0.3, "the resumed run to finish")
            status, body, _ = await get(session, f"{service.base_url}/data?limit=500&source=csv")
            assert status == 200 and len(body["data"]) == 200
            assert service.alive
            # failures are logged as errors, but nothing escaped as an unexpected crash with a traceback
            crashes = [r for r in service.log_records() if r.get("level") in ("ERROR", "CRITICAL")
                       and "exc_info" in r]
            assert not crashes, crashes

        assert runs[-1]["status"] == "success", runs
        assert all(r["status"] == "failed" for r in runs[:-1]), runs
        assert runs[0]["error"], "the interrupted run should say why it stopped"
        # resumed from the checkpoint: the last run read only what the first had not committed
        assert 0 < runs[-1]["rows_read"] < 200_020, runs
        assert await canonical_dump(dsn) == big_csv_reference


async def _between(count, low: int, high: int) -> bool:
    return low <= await count <= high
