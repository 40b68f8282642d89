"""Batches stored on two connections in turn (service/etl/turns.py) store what one connection stores; the history
insert's plain path falls back on duplicates; a stop leaves nothing behind; a failure stops the run."""
from __future__ import annotations

import asyncio
import logging

import pytest

from service import db
from service.etl import turns
from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource
from tests.conftest import replace
from tests.csv.support import HEADER, snapshot, wipe
from tests.csv.test_ways import ROWS
from tests.etl.conftest import run_all, table_counts


def _rows(count: int) -> list[str]:
    coins = ("BTC,Bitcoin", "ETH,Ethereum", "SOL,Solana")
    return [f"{coins[i % 3]},{i + 1}.25,,,,,2026-03-{1 + i // 72:02d}T{i // 3 % 24:02d}:00:00Z" for i in range(count)]


@pytest.fixture
def overlaps(monkeypatch) -> list[int]:
    """The connections that stored each batch, in order (one id per batch)."""
    calls: list[int] = []
    store = turns.store_in_turn

    async def spy(connections, batches, keep_raw, stage, write, should_stop=lambda: False):
        async def spied_stage(connection, batch):
            calls.append(connections.index(connection))
            return await stage(connection, batch)
        await store(connections, batches, keep_raw, spied_stage, write, should_stop)
    monkeypatch.setattr(turns, "store_in_turn", spy)
    return calls


async def test_two_connections_in_turn_store_what_one_stores(pool, settings, tmp_path, overlaps):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(_rows(150)[:75] + ROWS + _rows(150)[75:]) + "\n", encoding="utf-8")
    single = await db.create_pool(settings.database_url, replace(settings, db_pool_min_size=1, db_pool_max_size=1))
    try:
        alone = await run_source(single, CsvSource(path, block_bytes=1024))
    finally:
        await single.close()
    assert alone.status == "success", alone.error
    assert set(overlaps) == {0}, "a pool of one connection has one lane"
    expected = await snapshot(pool)
    await wipe(pool)
    overlaps.clear()
    in_turn = await run_source(pool, CsvSource(path, block_bytes=1024))
    assert in_turn.status == "success", in_turn.error
    assert len(overlaps) > 5 and set(overlaps) == {0, 1}
    assert await snapshot(pool) == expected
    assert in_turn.counts == alone.counts
    assert (in_turn.counts.inserted, in_turn.counts.rejected) == (150 + 13, 31)


async def test_a_repeated_new_observation_is_stored_once(pool, tmp_path, caplog):
    path = tmp_path / "q.csv"
    rows = ["BTC,Bitcoin,1,,,,,2026-01-01T00:00:00Z", "BTC,Bitcoin,2,,,,,2026-01-01T01:00:00Z"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    assert (await run_source(pool, CsvSource(path))).status == "success"
    # newer than the latest state, twice in one block (the plain insert fails; each is checked), plus an old one
    rows += ["BTC,Bitcoin,3,,,,,2026-01-01T02:00:00Z", "BTC,Bitcoin,4,,,,,2026-01-01T02:00:00Z",
             "BTC,Bitcoin,9,,,,,2026-01-01T00:00:00Z", "BTC,Bitcoin,5,,,,,2026-01-01T03:00:00Z",
             # older than the latest state yet new to the history, twice
             "BTC,Bitcoin,0.5,,,,,2025-12-31T23:00:00Z", "BTC,Bitcoin,0.6,,,,,2025-12-31T23:00:00Z"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="service.etl.history"):
        outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success", outcome.error
    assert any("repeat an observation" in r.getMessage() for r in caplog.records), "the plain insert did not fail"
    assert (outcome.counts.inserted, outcome.counts.unchanged) == (3, 3)
    prices = [r["p"] for r in await pool.fetch("SELECT price_usd::text AS p FROM quotes_history ORDER BY observed_at")]
    # one of each two repeats is kept, as the conflict-checking insert always did
    assert prices[0] in ("0.5", "0.6") and prices[1:3] == ["1", "2"] and prices[3] in ("3", "4")
    assert prices[4:] == ["5"]
    assert await pool.fetchval("SELECT price_usd::text FROM quotes_latest") == "5"


async def test_a_stop_keeps_the_checkpoint_and_releases_the_connections(pool, tmp_path, overlaps):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(_rows(600)) + "\n", encoding="utf-8")
    stopped = await run_source(pool, CsvSource(path, block_bytes=2048), should_stop=lambda: True)
    assert stopped.status == "failed" and "stopped by shutdown" in stopped.error
    assert len(overlaps) == 1, "a batch was handed over after the stop"
    assert pool.get_idle_size() == pool.get_size(), "a connection was not given back"
    first = await pool.fetchval("SELECT count(*) FROM quotes_history")
    assert 0 < first == stopped.counts.inserted < 600
    resumed = await run_source(pool, CsvSource(path, block_bytes=2048))
    assert resumed.status == "success", resumed.error
    assert resumed.counts.inserted == 600 - first and resumed.counts.read == 600 - first
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 600
    # raw blocks are stored with their batch: each once, none missing
    blocks = await pool.fetch("SELECT byte_start, byte_end FROM raw_csv_blocks ORDER BY byte_start")
    assert [b["byte_start"] for b in blocks[1:]] == [b["byte_end"] for b in blocks[:-1]]
    assert blocks[0]["byte_start"] == 0 and blocks[-1]["byte_end"] == path.stat().st_size


async def test_a_failed_batch_stops_the_run_and_the_batch_after_it_rolls_back(pool, tmp_path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(_rows(600)) + "\n", encoding="utf-8")
    store, written = turns.store_in_turn, []

    async def failing_third(connections, batches, keep_raw, stage, write, should_stop=lambda: False):
        async def slow_stage(connection, batch):
            if len(written) == 2:  # the fourth batch is staged (it may write nothing) while the third fails
                await asyncio.sleep(0.05)
            return await stage(connection, batch)

        async def write_or_fail(connection, batch, staged):
            written.append(batch.position["offset"])
            if len(written) == 3:
                raise RuntimeError("injected failure writing the third batch")
            return await write(connection, batch, staged)
        await store(connections, batches, keep_raw, slow_stage, write_or_fail, should_stop)
    monkeypatch.setattr(turns, "store_in_turn", failing_third)
    failed = await run_source(pool, CsvSource(path, block_bytes=2048))
    assert failed.status == "failed" and "injected failure" in failed.error
    assert len(written) == 3, "a batch after the failed one was written"
    checkpoint = await pool.fetchval("SELECT position FROM etl_checkpoints WHERE source = 'csv'")
    assert checkpoint["offset"] == written[1]
    stored = await pool.fetchval("SELECT count(*) FROM quotes_history")
    assert stored == failed.counts.inserted == failed.counts.read > 0
    assert await pool.fetchval("SELECT max(byte_end) FROM raw_csv_blocks") == written[1]
    monkeypatch.setattr(turns, "store_in_turn", store)
    resumed = await run_source(pool, CsvSource(path, block_bytes=2048))
    assert resumed.status == "success", resumed.error
    assert resumed.counts.inserted == 600 - stored
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 600


async def test_pages_repeating_a_record_store_it_once_without_waiting_on_each_other(pool, etl_settings, gecko):
    """CoinGecko's pages shift while a run walks them: a coin can come twice, byte for byte, on two pages staged
    at once on the two connections. The later page waits for the earlier one's raw record, never the reverse."""
    coins = gecko.coins[:55]
    gecko.coins = coins[:30] + coins[25:55]  # page 2 (of 30 a page) repeats page 1's last five coins
    outcomes = await asyncio.wait_for(run_all(pool, etl_settings, only=("coingecko",)), timeout=60)
    outcome = outcomes["coingecko"]
    assert outcome.status == "success", outcome.error
    counts = await table_counts(pool, "coingecko")
    assert counts["raw_api"] == counts["history"] == counts["latest"] == 55
    assert (outcome.counts.inserted, outcome.counts.unchanged) == (55, 5)
