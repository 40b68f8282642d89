"""`python -m service etl` as a subprocess, and the scheduler: start-up run, interval, no overlap, locks."""
from __future__ import annotations

import asyncio
import dataclasses
import os
import sys

import asyncpg
import pytest

from service.etl.pipeline import run_source
from service.etl.scheduler import RunInProgress, Scheduler
from service.etl.sources.csv import CsvSource
from service.etl.wiring import enabled_sources
from service.settings import PROJECT_ROOT
from tests.fakes.upstream import Fault


async def run_cli(*args: str, **env: str) -> tuple[int, str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("ETL_", "COIN", "CSV_"))}
    environ.update(env, LOG_FORMAT="text", PYTHONPATH=str(PROJECT_ROOT))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", *args, cwd=PROJECT_ROOT, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stderr.decode()


@pytest.mark.slow
async def test_cli_etl_exits_non_zero_naming_the_failed_source(database_url, gecko, pool):
    gecko.faults = [Fault(status=503, times=1000)]
    code, stderr = await run_cli("etl", "--source", "coingecko", DATABASE_URL=database_url,
                                 COINGECKO_BASE_URL=gecko.url, HTTP_MAX_RETRIES="1")
    assert code != 0, stderr
    lines = stderr.splitlines()  # exactly one line per source: the log goes to stdout
    assert len(lines) == 1 and lines[0].startswith("coingecko: failed") and "HTTP 503" in lines[0], stderr
    assert len(gecko.requests) == 2
    assert await pool.fetchval("SELECT status FROM etl_runs WHERE source = 'coingecko'") == "failed"


@pytest.mark.slow
async def test_cli_etl_exits_zero_when_the_source_succeeds(database_url, gecko, pool):
    code, stderr = await run_cli("etl", "--source", "coingecko", DATABASE_URL=database_url,
                                 COINGECKO_BASE_URL=gecko.url, COINGECKO_PER_PAGE="50")
    assert code == 0, stderr
    assert any(line.startswith("coingecko: success") and "inserted=100" in line for line in stderr.splitlines())
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest WHERE source = 'coingecko'") == 100


async def test_cli_with_an_unreachable_database_says_so_in_one_line():
    code, stderr = await run_cli("migrate", DATABASE_URL="postgresql://someone:hunter2@127.0.0.1:9/nowhere")
    assert code == 1
    assert stderr.startswith("database unavailable:") and len(stderr.splitlines()) == 1, stderr
    assert "hunter2" not in stderr


async def test_cli_rejects_a_bad_setting_naming_it(database_url):
    code, stderr = await run_cli("etl", DATABASE_URL=database_url, ETL_SOURCES="csv,nosuch")
    assert code == 2 and "ETL_SOURCES" in stderr and "nosuch" in stderr


async def wait_for(predicate, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_start_up_run_happens_only_when_asked(pool, etl_settings):
    for on_startup, expected in ((False, 0), (True, 1)):
        scheduler = Scheduler(pool, [CsvSource(etl_settings.csv_path)], interval=3600, on_startup=on_startup)
        task = asyncio.create_task(scheduler.loop())
        try:
            if expected:
                await wait_for(lambda: pool.fetchval("SELECT count(*) = 1 FROM etl_runs WHERE status = 'success'"))
            else:
                await asyncio.sleep(0.5)
            assert await pool.fetchval("SELECT count(*) FROM etl_runs") == expected
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_interval_is_measured_from_the_previous_start(pool, etl_settings, gecko):
    gecko.faults = [Fault(delay=0.4, times=1000)]  # a run takes 2 pages x 0.4 s
    settings = dataclasses.replace(etl_settings, coingecko_per_page=250)
    async with enabled_sources(settings, ("coingecko",)) as sources:
        scheduler = Scheduler(pool, sources, interval=1.0, on_startup=True)
        task = asyncio.create_task(scheduler.loop())
        try:
            await wait_for(lambda: pool.fetchval("SELECT count(*) >= 3 FROM etl_runs"))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    runs = await pool.fetch("SELECT started_at, finished_at FROM etl_runs ORDER BY id LIMIT 3")
    assert (runs[0]["finished_at"] - runs[0]["started_at"]).total_seconds() >= 0.75
    # measured from the end, the gaps would be 1.8 s or more
    gaps = [(b["started_at"] - a["started_at"]).total_seconds() for a, b in zip(runs, runs[1:])]
    assert all(0.95 <= gap < 1.6 for gap in gaps), gaps


async def test_never_two_runs_at_once_in_one_process(pool, etl_settings, gecko):
    gecko.faults = [Fault(delay=0.5, times=1000)]
    async with enabled_sources(etl_settings, ("coingecko", "csv")) as sources:
        scheduler = Scheduler(pool, sources, interval=3600, on_startup=False)
        first = asyncio.create_task(scheduler.run_all())
        await asyncio.sleep(0.1)
        assert scheduler.running
        with pytest.raises(RunInProgress):
            await scheduler.run_all()
        with pytest.raises(RunInProgress):
            await scheduler.trigger()
        outcomes = await first
        assert not scheduler.running
        assert [o.status for o in outcomes] == ["success", "success"]
        started = await scheduler.trigger()
        assert sorted(s["source"] for s in started) == ["coingecko", "csv"]
        assert all(isinstance(s["run_id"], int) for s in started)
        await wait_for(lambda: pool.fetchval("SELECT count(*) = 0 FROM etl_runs WHERE status = 'running'"))
    assert await pool.fetchval("SELECT count(*) FROM etl_runs") == 4


async def test_a_source_locked_by_another_process_is_skipped(pool, etl_settings, database_url):
    other = await asyncpg.connect(database_url)
    try:
        await other.execute("SELECT pg_advisory_lock(hashtext('etl-source'), hashtext('csv'))")
        outcome = await run_source(pool, CsvSource(etl_settings.csv_path))
        assert outcome.status == "skipped" and "another process" in outcome.error
        assert await pool.fetchval("SELECT count(*) FROM etl_runs") == 0
        await other.execute("SELECT pg_advisory_unlock(hashtext('etl-source'), hashtext('csv'))")
        outcome = await run_source(pool, CsvSource(etl_settings.csv_path))
        assert outcome.status == "success"
    finally:
        await other.close()
    # the run released its lock: another session can take it at once
    assert await pool.fetchval("SELECT pg_try_advisory_lock(hashtext('etl-source'), hashtext('csv'))")


async def test_a_run_left_running_is_closed_as_abandoned(pool, etl_settings):
    dead = await pool.fetchval(
        "INSERT INTO etl_runs (source, status, worker) VALUES ('csv', 'running', 'gone:1') RETURNING id")
    outcome = await run_source(pool, CsvSource(etl_settings.csv_path))
    assert outcome.status == "success" and outcome.run_id != dead
    row = await pool.fetchrow("SELECT status, error, finished_at FROM etl_runs WHERE id = $1", dead)
    assert row["status"] == "failed" and row["error"].startswith("abandoned")
    assert row["finished_at"] is not None


class _Crashing:
    """A source the pipeline cannot even lock: its name is no text, so the lock query itself raises."""

    name = 12345

    async def batches(self, checkpoints, known):
        yield  # pragma: no cover


async def test_a_crashing_source_fails_alone_and_frees_the_scheduler(pool, etl_settings):
    scheduler = Scheduler(pool, [_Crashing(), CsvSource(etl_settings.csv_path)], interval=3600, on_startup=False)
    crashed, csv = await scheduler.run_all()
    assert crashed.status == "failed" and crashed.error.startswith("crashed: ")
    assert csv.status == "success"
    assert not scheduler.running
    assert [o.status for o in await scheduler.run_all()][1] == "success"
