"""BACKFILL_DAYS in `python -m service`: after each API source's first successful run, a background backfill,
visible in /runs (trigger backfill, progress) and /metrics."""
from __future__ import annotations

import asyncio
import dataclasses


async def test_the_service_backfills_in_the_background_after_the_first_runs(bf_settings, make_client, pool):
    client = await make_client(dataclasses.replace(bf_settings, etl_on_startup=True, backfill_days=2))
    for _ in range(200):
        finished = await pool.fetch("SELECT source FROM etl_runs WHERE trigger = 'backfill' AND status = 'success'")
        if len(finished) == 2:
            break
        await asyncio.sleep(0.05)
    assert sorted(r["source"] for r in finished) == ["coingecko", "coinpaprika"]
    body = await (await client.get("/runs", params={"limit": 10})).json()
    backfills = [run for run in body["data"] if run["trigger"] == "backfill"]
    assert len(backfills) == 2
    for run in backfills:
        progress = run["progress"]
        assert progress["coins_left"] == 0 and progress["coins_done"] == progress["coins_total"] > 0
        assert progress["points_stored"] == run["rows_inserted"] > 0
    scheduled = [run for run in body["data"] if run["trigger"] == "schedule"]
    assert all(run["progress"] is None for run in scheduled) and len(scheduled) == 2
    # what the dashboard reads for each source's backfill state
    only = await (await client.get("/runs", params={"trigger": "backfill", "source": "coingecko", "limit": 1})).json()
    assert [(run["trigger"], run["source"]) for run in only["data"]] == [("backfill", "coingecko")]
    assert only["next_cursor"] is None
    paged = await (await client.get("/runs", params={"trigger": "schedule", "page": 1})).json()
    assert paged["total_records"] == 2
    metrics = await (await client.get("/metrics")).text()
    points = {line.split()[0]: float(line.split()[1]) for line in metrics.splitlines()
              if line.startswith("backfill_points_total{")}
    assert points and all(value > 0 for value in points.values()), points
    assert 'backfill_runs_total{source="coingecko",status="success"}' in metrics
    health = await (await client.get("/health")).json()
    assert health["status"] == "healthy", health
