"""The sample file a fresh install loads: its deliberately invalid rows become rejects, each saying why."""
from __future__ import annotations

import csv
import sys

from service.settings import PROJECT_ROOT
from tests.csv.support import load

SAMPLE = PROJECT_ROOT / "data" / "sample_quotes.csv"


async def test_the_sample_loads_with_its_five_deliberate_rejects_and_nothing_else(pool):
    outcome = await load(pool, SAMPLE)
    assert (outcome.counts.read, outcome.counts.rejected) == (3005, 5)
    rejects = await pool.fetch("SELECT location, reason, raw FROM etl_rejects ORDER BY id")
    assert len(rejects) == 5
    for reject in rejects:
        assert "deliberately invalid:" in reject["raw"] and reject["reason"], reject
        assert reject["location"].startswith(f"{SAMPLE}:")
    assert await pool.fetchval("SELECT count(*) FROM quotes_history WHERE name LIKE 'deliberately%'") == 0
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 3000


def test_the_generator_still_makes_the_committed_sample(tmp_path):
    sys.path.insert(0, str(PROJECT_ROOT / "data"))
    try:
        import generate_sample
    finally:
        sys.path.remove(str(PROJECT_ROOT / "data"))
    generate_sample.main(["-o", str(tmp_path / "again.csv"), "--bad-rows", str(generate_sample.SAMPLE_BAD_ROWS)])
    assert (tmp_path / "again.csv").read_bytes() == SAMPLE.read_bytes()
    with open(SAMPLE, newline="") as f:
        names = [row[1] for row in csv.reader(f) if len(row) > 1]
    assert sum(name.startswith("deliberately invalid: ") for name in names) == generate_sample.SAMPLE_BAD_ROWS
