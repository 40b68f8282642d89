"""CSV blocks staged ahead on a second connection (service/etl/csv/ahead.py) store what staging in the batch's own
transaction stores; the history insert's plain path falls back on duplicates; a stop leaves nothing behind."""
from __future__ import annotations

import logging

import pytest

from service import db
from service.etl.csv import ahead
from service.etl.csv.stager import CsvStager
from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource
from tests.conftest import replace
from tests.csv.support import HEADER, snapshot, wipe
from tests.csv.test_ways import ROWS


def _rows(count: int) -> list[str]:
    coins = ("BTC,Bitcoin", "ETH,Ethereum", "SOL,Solana")
    return [f"{coins[i % 3]},{i + 1}.25,,,,,2026-03-{1 + i // 72:02d}T{i // 3 % 24:02d}:00:00Z" for i in range(count)]


@pytest.fixture
def staged(monkeypatch) -> list[int]:
    """How many blocks were staged ahead."""
    calls: list[int] = []
    stage = CsvStager.stage_ahead

    async def spy(self, connection, batch):
        calls.append(1)
        return await stage(self, connection, batch)
    monkeypatch.setattr(CsvStager, "stage_ahead", spy)
    return calls


async def test_staging_ahead_stores_what_staging_in_the_transaction_stores(
        pool, settings, tmp_path, staged, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(_rows(150)[:75] + ROWS + _rows(150)[75:]) + "\n", encoding="utf-8")
    monkeypatch.setattr(ahead, "_ACQUIRE_TIMEOUT", 0.05)
    single = await db.create_pool(settings.database_url, replace(settings, db_pool_min_size=1, db_pool_max_size=1))
    try:
        alone = await run_source(single, CsvSource(path, block_bytes=1024))
    finally:
        await single.close()
    assert alone.status == "success", alone.error
    assert not staged, "a pool of one connection cannot stage ahead"
    expected = await snapshot(pool)
    await wipe(pool)
    ahead_run = await run_source(pool, CsvSource(path, block_bytes=1024))
    assert ahead_run.status == "success", ahead_run.error
    assert len(staged) > 5
    assert await snapshot(pool) == expected
    assert ahead_run.counts == alone.counts
    assert (ahead_run.counts.inserted, ahead_run.counts.rejected) == (150 + 13, 31)


async def test_a_repeated_new_observation_is_stored_once(pool, tmp_path, caplog):
    path = tmp_path / "q.csv"
    rows = ["BTC,Bitcoin,1,,,,,2026-01-01T00:00:00Z", "BTC,Bitcoin,2,,,,,2026-01-01T01:00:00Z"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    assert (await run_source(pool, CsvSource(path))).status == "success"
    # newer than the latest state, twice in one block (the plain insert fails; each is checked), plus an old one
    rows += ["BTC,Bitcoin,3,,,,,2026-01-01T02:00:00Z", "BTC,Bitcoin,4,,,,,2026-01-01T02:00:00Z",
             "BTC,Bitcoin,9,,,,,2026-01-01T00:00:00Z", "BTC,Bitcoin,5,,,,,2026-01-01T03:00:00Z"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="service.etl.history"):
        outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success", outcome.error
    assert any("repeat an observation" in r.getMessage() for r in caplog.records), "the plain insert did not fail"
    assert (outcome.counts.inserted, outcome.counts.unchanged) == (2, 2)
    prices = [r["p"] for r in await pool.fetch("SELECT price_usd::text AS p FROM quotes_history ORDER BY observed_at")]
    # one of the two repeats is kept, as the conflict-checking insert always did
    assert prices[:2] == ["1", "2"] and prices[2] in ("3", "4") and prices[3:] == ["5"]
    assert await pool.fetchval("SELECT price_usd::text FROM quotes_latest") == "5"


async def test_a_stop_while_a_block_is_staged_ahead_keeps_the_checkpoint_and_releases_the_connection(
        pool, tmp_path, staged):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(_rows(600)) + "\n", encoding="utf-8")
    stopped = await run_source(pool, CsvSource(path, block_bytes=2048), should_stop=lambda: True)
    assert stopped.status == "failed" and "stopped by shutdown" in stopped.error
    assert len(staged) == 1, "the second block was being staged ahead when the run stopped"
    assert pool.get_idle_size() == pool.get_size(), "a connection was not given back"
    first = await pool.fetchval("SELECT count(*) FROM quotes_history")
    assert 0 < first == stopped.counts.inserted < 600
    resumed = await run_source(pool, CsvSource(path, block_bytes=2048))
    assert resumed.status == "success", resumed.error
    assert resumed.counts.inserted == 600 - first and resumed.counts.read == 600 - first
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 600
    # the block staged ahead had its raw bytes stored before the stop; read again, it was not stored twice
    blocks = await pool.fetch("SELECT byte_start, byte_end FROM raw_csv_blocks ORDER BY byte_start")
    assert [b["byte_start"] for b in blocks[1:]] == [b["byte_end"] for b in blocks[:-1]]
    assert blocks[0]["byte_start"] == 0 and blocks[-1]["byte_end"] == path.stat().st_size
