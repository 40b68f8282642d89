"""Replicas share the schedule: a scheduled run skips a source that succeeded recently, never one that
was interrupted (a restarted process resumes it at once)."""
from __future__ import annotations

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
