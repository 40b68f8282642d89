"""/stats stays cheap at any size: big tables are counted from PostgreSQL's statistics, and the answer says so."""
from __future__ import annotations


async def test_a_big_table_is_estimated_and_the_answer_says_so(client, pool):
    run_id = await pool.fetchval("INSERT INTO etl_runs (source, status) VALUES ('csv', 'failed') RETURNING id")
    await pool.execute("INSERT INTO etl_rejects (run_id, source, location, raw, reason) "
                       "SELECT $1, 'csv', 'f.csv:' || i, repeat('x', 120), 'short row' "
                       "FROM generate_series(1, 70000) AS i", run_id)
    await pool.execute("ANALYZE etl_rejects")
    small = await pool.fetchval("SELECT pg_relation_size('etl_rejects') < 8 * 1024 * 1024")
    assert not small, "the test table must be past the 8 MB threshold"
    await pool.execute("INSERT INTO etl_rejects (run_id, source, location, raw, reason) "
                       "SELECT $1, 'csv', 'g.csv:' || i, 'y', 'short row' FROM generate_series(1, 500) AS i", run_id)
    records = (await (await client.get("/stats")).json())["records"]
    assert records["estimated"] is True
    assert 63_000 <= records["rejects"] <= 77_000 and records["rejects"] != 70_500  # the statistics, not a count
    assert records["history_rows"] == 0 and records["raw_records"] == 0  # small ones are still counted exactly
