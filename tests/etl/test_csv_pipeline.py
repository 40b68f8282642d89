"""The CSV source end to end on a real database: load, re-run, append, reorder, rejects."""
from __future__ import annotations

from decimal import Decimal

from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource

HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"


async def counts(pool):
    return await pool.fetchrow(
        "SELECT (SELECT count(*) FROM quotes_history) AS history, (SELECT count(*) FROM quotes_latest) AS latest,"
        " (SELECT count(*) FROM raw_csv_blocks) AS raw, (SELECT count(*) FROM etl_rejects) AS rejects")


async def test_loads_every_row_once_and_rerun_writes_nothing(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "BTC,Bitcoin,0.000012345678901234,1,2,-0.5,1,2026-01-01T00:00:00Z\n"
                    "btc,Bitcoin,6.31917e-7,,,,,2026-01-01T01:00:00\n")
    first = await run_source(pool, CsvSource(path))
    assert first.status == "success", first.error
    assert first.counts.inserted == 2
    prices = [r["price_usd"] for r in await pool.fetch(
        "SELECT price_usd FROM quotes_history ORDER BY observed_at")]
    assert prices == [Decimal("0.000012345678901234"), Decimal("6.31917E-7")]
    second = await run_source(pool, CsvSource(path))
    assert second.status == "success" and second.counts.read == 0
    assert dict(await counts(pool)) == {"history": 2, "latest": 1, "raw": 1, "rejects": 0}  # one block


async def test_latest_is_newest_observation_not_last_read(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "ETH,Ethereum,3,,,,,2026-01-03T00:00:00Z\n"
                    "ETH,Ethereum,1,,,,,2026-01-01T00:00:00Z\n"
                    "ETH,Ethereum,2,,,,,2026-01-02T00:00:00Z\n")
    await run_source(pool, CsvSource(path))
    latest = await pool.fetchrow("SELECT price_usd, observed_at FROM quotes_latest")
    assert latest["price_usd"] == 3


async def test_bad_rows_are_rejected_with_reasons_and_good_rows_load(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "BTC,Bitcoin,,,,,,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,-1,,,,,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,1,,,,,yesterday\n"
                    ",Bitcoin,1,,,,,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,1\n"
                    "BTC,Bitcoin,NaN,,,,,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,5,,,,,2026-01-02T00:00:00Z\n")
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success"
    reasons = [r["reason"] for r in await pool.fetch("SELECT reason FROM etl_rejects ORDER BY id")]
    assert reasons == ["price_usd is missing", "price_usd is negative: -1",
                       "last_updated is not an ISO-8601 time: 'yesterday'", "symbol is empty",
                       "short row: 3 fields where the header has 8", "price_usd is not finite: NaN"]
    assert (await counts(pool))["history"] == 1


async def test_appended_rows_are_read_without_rereading(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "BTC,Bitcoin,1,,,,,2026-01-01T00:00:00Z\n")
    await run_source(pool, CsvSource(path))
    with path.open("a") as handle:
        handle.write("BTC,Bitcoin,2,,,,,2026-01-02T00:00:00Z\n")
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.counts.read == 1 and outcome.counts.inserted == 1
    assert (await pool.fetchval("SELECT price_usd FROM quotes_latest")) == 2
