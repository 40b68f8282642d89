"""Replicas share the schedule: a scheduled run skips a source that succeeded recently, never one that
was interrupted (a restarted process resumes it at once)."""
from __future__ import annotations

import asyncio
import time

from service.etl import scheduler
from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource


def _csv(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("symbol,name,price_usd,last_updated\nBTC,Bitcoin,1,2026-01-01T00:00:00Z\n")
    return CsvSource(path)


async def test_a_recent_success_makes_the_scheduled_run_skip(pool, tmp_path):
    source = _csv(tmp_path)
    assert (await run_source(pool, source)).status == "success"
    again = await run_source(pool, source, min_gap_seconds=60)
    assert (again.status, again.error) == ("skipped", "ran recently on another replica")
    assert (await run_source(pool, source, min_gap_seconds=0)).status == "success"


async def test_an_interrupted_run_does_not_count_as_recent(pool, tmp_path):
    await pool.execute("INSERT INTO etl_runs (source, status) VALUES ('csv', 'running')")
    outcome = await run_source(pool, _csv(tmp_path), min_gap_seconds=3600)
    assert outcome.status == "success"
    statuses = [r["status"] for r in await pool.fetch("SELECT status FROM etl_runs ORDER BY id")]
    assert statuses == ["failed", "success"]


async def test_the_start_up_run_defers_only_to_a_run_begun_since_the_process_started(pool, tmp_path, monkeypatch):
    source = _csv(tmp_path)
    assert (await run_source(pool, source)).status == "success"
    # a restarted service: the earlier success began before this process did, so it runs at once
    monkeypatch.setattr(scheduler, "PROCESS_STARTED", time.time() + 1)
    loop = asyncio.create_task(scheduler.Scheduler(pool, [source], interval=3600, on_startup=True).loop())
    try:
        for _ in range(100):
            if await pool.fetchval("SELECT count(*) FROM etl_runs") == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert await pool.fetchval("SELECT count(*) FROM etl_runs") == 2
    # a replica starting together with the one that just ran: it skips
    monkeypatch.setattr(scheduler, "PROCESS_STARTED", time.time() - 3600)
    skipped = await scheduler.Scheduler(pool, [source], interval=3600, on_startup=True).run_all(
        min_gap=time.time() - scheduler.PROCESS_STARTED)
    assert skipped[0].status == "skipped"
