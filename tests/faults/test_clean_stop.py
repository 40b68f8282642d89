"""Clean stop: SIGTERM in the middle of an ETL run exits 0 within 10 s, keeps the checkpoint; the next start resumes."""
from __future__ import annotations

import signal
import time

import asyncpg
import pytest

from tests.faults.support import ServiceProcess, canonical_dump, free_port, running_service, service_env, wait_for

pytestmark = pytest.mark.slow


async def query(dsn: str, sql: str):
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


async def test_sigterm_mid_run_exits_cleanly_and_the_next_start_resumes(
        empty_database, big_csv, big_csv_reference, tmp_path):
    dsn = await empty_database()
    env = service_env(DATABASE_URL=dsn, PORT=free_port(), CSV_PATH=big_csv, ETL_ON_STARTUP="true",
                      ETL_INTERVAL_SECONDS=3600)
    async with running_service(env, log_dir=tmp_path) as service:
        async def part_loaded():
            rows = await query(dsn, "SELECT count(*) AS n FROM quotes_history")
            return 0 < rows[0]["n"] < 150_000

        await wait_for(part_loaded, 60, 0.05, "a part-loaded file")
        service.signal(signal.SIGTERM)
        asked = time.monotonic()
        code = await service.wait(15)
        took = time.monotonic() - asked
        assert code == 0, service.log_tail()
        assert took < 10, f"stopping took {took:.1f} s"

    runs = await query(dsn, "SELECT status, error, rows_read FROM etl_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["failed"], runs
    assert "resumes from its checkpoint" in runs[0]["error"]
    stored = (await query(dsn, "SELECT count(*) AS n FROM quotes_history"))[0]["n"]
    checkpoint = await query(dsn, "SELECT position FROM etl_checkpoints WHERE source = 'csv'")
    assert len(checkpoint) == 1 and '"offset"' in str(checkpoint[0]["position"])
    assert 0 < stored < 200_000

    resumed = ServiceProcess(service_env(DATABASE_URL=dsn, CSV_PATH=big_csv), "etl", "--source", "csv",
                             log_dir=tmp_path)
    await resumed.start()
    assert await resumed.wait(120) == 0, resumed.log_tail()
    runs = await query(dsn, "SELECT status, rows_read FROM etl_runs ORDER BY id")
    assert runs[-1]["status"] == "success"
    assert runs[-1]["rows_read"] + runs[0]["rows_read"] == 200_020, "resumed run re-read or skipped rows"
    assert await canonical_dump(dsn) == big_csv_reference
