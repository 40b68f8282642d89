"""The change sequence is in commit order: a reader that has seen change n has seen every change below n, however
concurrent writers interleave (what makes "everything after Last-Event-ID" exact)."""
from __future__ import annotations

import asyncio

import asyncpg

from tests.api.helpers import coin_rows, load_csv

MOVE = ("UPDATE quotes_latest SET observed_at = observed_at + interval '1 hour' WHERE source = 'csv' AND symbol = $1")


async def test_a_writer_numbers_its_changes_only_after_the_one_before_committed(database_url, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(2, hour=0))
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        first_tx, second_tx = first.transaction(), second.transaction()
        await first_tx.start()
        await second_tx.start()
        await second.execute("SELECT txid_current()")  # the second one even began writing first
        assert await first.execute(MOVE, "C0") == "UPDATE 1"
        seen_before = await pool.fetchval("SELECT max(seq) FROM quote_changes")
        # the second writer's change waits for the first one's commit before it takes a number
        blocked = asyncio.create_task(second.execute(MOVE, "C1"))
        await asyncio.sleep(0.5)
        assert not blocked.done()
        await first_tx.commit()
        await asyncio.wait_for(blocked, 5)
        first_seq = await pool.fetchval("SELECT max(seq) FROM quote_changes")
        assert first_seq > seen_before  # the first one's change is visible...
        await second_tx.commit()
        changes = await pool.fetch("SELECT seq, record->>'symbol' AS coin FROM quote_changes WHERE seq > $1 "
                                   "ORDER BY seq", seen_before)
        # ...numbered before the second one's: nothing visible later can take a number below a seen one
        assert [r["coin"] for r in changes] == ["C0", "C1"] and changes[0]["seq"] == first_seq
    finally:
        await first.close()
        await second.close()


async def test_an_update_that_moves_nothing_records_nothing(pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3, hour=1))
    count = await pool.fetchval("SELECT count(*) FROM quote_changes")
    assert count == 3
    await load_csv(pool, tmp_path / "b.csv", coin_rows(3, hour=0))  # older: the latest state stays
    await pool.execute("UPDATE quotes_latest SET rank = rank WHERE false")
    assert await pool.fetchval("SELECT count(*) FROM quote_changes") == count
