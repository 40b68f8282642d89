"""The CSV source over files that change: loads, re-runs, directories, headers in any shape, reordering, replacing,
appending, bad values."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource
from tests.csv.support import HEADER as FULL_HEADER
from tests.csv.support import counts
from tests.etl.conftest import run_row


def rows(start: int, count: int, symbol: str = "BTC", name: str = "Bitcoin") -> str:
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return "".join(f"{symbol},{name},{1000 + i}.5,{(base + timedelta(hours=i)).isoformat()}\n"
                   for i in range(start, start + count))


HEADER = "symbol,name,price_usd,last_updated\n"


async def test_a_directory_of_files_loads_every_file(pool, tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + rows(0, 3))
    (tmp_path / "b.csv").write_text(HEADER + rows(0, 2, "ETH", "Ethereum"))
    (tmp_path / "notes.txt").write_text("not,a,csv\n")
    outcome = await run_source(pool, CsvSource(tmp_path))
    assert outcome.status == "success", outcome.error
    assert (outcome.counts.read, outcome.counts.inserted) == (5, 5)
    streams = [r["stream"] for r in await pool.fetch("SELECT stream FROM etl_checkpoints ORDER BY stream")]
    assert streams == [str((tmp_path / "a.csv").resolve()), str((tmp_path / "b.csv").resolve())]
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest") == 2


async def test_header_in_any_case_and_order_with_extra_columns_reported(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("Last_Updated,EXCHANGE,PRICE_USD,Name,SYMBOL,rank,Note\n"
                    "2026-01-01T00:00:00Z,binance,0.000012345678901234,Bitcoin,btc,1,hello\n")
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success", outcome.error
    row = await pool.fetchrow("SELECT symbol, name, price_usd, rank, observed_at FROM quotes_latest")
    assert (row["symbol"], row["name"], row["price_usd"], row["rank"]) == (
        "BTC", "Bitcoin", Decimal("0.000012345678901234"), 1)
    assert row["observed_at"] == datetime(2026, 1, 1, tzinfo=timezone.utc)
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift == {"ignored_columns": {str(path.resolve()): ["exchange", "note"]}}


async def test_header_without_a_required_column_fails_loudly_other_files_still_load(pool, tmp_path):
    (tmp_path / "a.csv").write_text("symbol,name,price,last_updated\nBTC,Bitcoin,1,2026-01-01T00:00:00Z\n")
    (tmp_path / "b.csv").write_text(HEADER + rows(0, 2, "ETH", "Ethereum"))
    outcome = await run_source(pool, CsvSource(tmp_path))
    assert outcome.status == "failed"
    assert "price_usd" in outcome.error and "a.csv" in outcome.error
    assert "'price_usd' may have been renamed to 'price'" in outcome.error
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift["missing_required"] == {str((tmp_path / "a.csv").resolve()): ["price_usd"]}
    assert [r["symbol"] for r in await pool.fetch("SELECT symbol FROM quotes_latest")] == ["ETH"]
    # nothing of the broken file is checkpointed: the next run says so again
    again = await run_source(pool, CsvSource(tmp_path))
    assert again.status == "failed" and "price_usd" in again.error


async def test_rows_in_random_time_order_keep_the_newest_as_latest(pool, tmp_path):
    lines = rows(0, 200).splitlines(keepends=True)
    random.Random(7).shuffle(lines)
    assert lines[-1] != rows(199, 1)
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "".join(lines))
    outcome = await run_source(pool, CsvSource(path, block_bytes=512))
    assert outcome.status == "success"
    latest = await pool.fetchrow("SELECT price_usd, observed_at FROM quotes_latest")
    assert latest["price_usd"] == Decimal("1199.5")
    assert latest["observed_at"] == datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(hours=199)
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 200


async def test_an_older_row_appended_later_does_not_move_latest_back(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(5, 1))
    await run_source(pool, CsvSource(path))
    with path.open("a") as handle:
        handle.write(rows(1, 1))
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.updated) == (1, 1, 0)
    assert await pool.fetchval("SELECT price_usd FROM quotes_latest") == Decimal("1005.5")
    assert await pool.fetchval("SELECT count(*) FROM quotes_history") == 2


async def test_appended_rows_are_read_without_rereading_across_blocks(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(0, 100))
    first = await run_source(pool, CsvSource(path, block_bytes=300))
    assert first.counts.read == 100
    with path.open("a") as handle:
        handle.write(rows(100, 5))
    second = await run_source(pool, CsvSource(path, block_bytes=300))
    assert (second.counts.read, second.counts.inserted, second.counts.updated) == (5, 5, 1)
    assert second.counts.bytes == len(rows(100, 5).encode())
    assert await pool.fetchval("SELECT price_usd FROM quotes_latest") == Decimal("1104.5")


async def test_a_replaced_file_is_read_afresh(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(0, 3))
    await run_source(pool, CsvSource(path))
    path.write_text(HEADER + rows(0, 2, "ETH", "Ethereum") + rows(10, 5, "SOL", "Solana"))
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success"
    assert (outcome.counts.read, outcome.counts.inserted) == (7, 7)
    assert sorted(r["symbol"] for r in await pool.fetch("SELECT symbol FROM quotes_latest")) == [
        "BTC", "ETH", "SOL"]


async def test_a_replaced_file_with_the_same_head_but_other_rows_is_read_afresh(pool, tmp_path):
    path = tmp_path / "q.csv"
    original = HEADER + rows(0, 200)
    assert len(original) > 8192
    path.write_text(original)
    await run_source(pool, CsvSource(path))
    # same first 4 KB, later rows differ, and the file is no shorter: only the tail check can tell
    replaced = original[:6000] + rows(0, 200, "ETH", "Ethereum")
    path.write_text(replaced)
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success"
    assert outcome.counts.read == replaced.count("\n") - 1
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest WHERE symbol = 'ETH'") == 1


async def test_an_unchanged_file_is_not_read_again(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(0, 50))
    await run_source(pool, CsvSource(path))
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.counts.read, outcome.counts.bytes) == (0, 0)


async def test_loads_every_row_once_and_rerun_writes_nothing(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(FULL_HEADER + "BTC,Bitcoin,0.000012345678901234,1,2,-0.5,1,2026-01-01T00:00:00Z\n"
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


async def test_bad_rows_are_rejected_with_reasons_in_file_order(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(FULL_HEADER + "BTC,Bitcoin,,,,,,2026-01-01T00:00:00Z\n"
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


async def test_bad_values_are_rejected_with_reasons(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "BTC,Bitcoin,1e400,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,abc,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,-0.5,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,inf,2026-01-01T00:00:00Z\n"
                    "BTC,Bitcoin,2,2026-01-01T00:00:00Z\n")
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success"
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (5, 1, 4)
    reasons = [r["reason"] for r in await pool.fetch("SELECT reason FROM etl_rejects ORDER BY id")]
    assert reasons == ["price_usd is out of range: 1e400", "price_usd is not a number: 'abc'",
                       "price_usd is negative: -0.5", "price_usd is not finite: inf"]
    assert await pool.fetchval("SELECT array_agg(price_usd) FROM quotes_history") == [Decimal(2)]


async def test_a_shorter_replacement_is_read_afresh(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(0, 20))
    await run_source(pool, CsvSource(path))
    path.write_text(HEADER + rows(0, 1, "ETH", "Ethereum"))
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.counts.read, outcome.counts.inserted) == (1, 1)


async def test_an_empty_file_is_passed_over_until_it_has_rows(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("")
    outcome = await run_source(pool, CsvSource(tmp_path))
    assert outcome.status == "success"
    assert await pool.fetchval("SELECT reason FROM etl_rejects") == "file skipped: empty file: no header row"
    path.write_text(HEADER + rows(0, 2))
    outcome = await run_source(pool, CsvSource(tmp_path))
    assert (outcome.status, outcome.counts.read, outcome.counts.inserted) == ("success", 2, 2)


ROW = b"BTC,Bitcoin,1,2026-01-01T00:00:00Z"
BAD = b"BTC,Bitcoin,-1,2026-01-01T00:00:00Z"


@pytest.mark.parametrize("block_bytes", [1 << 21, 64])
@pytest.mark.parametrize("head, newline, bad_line, ignored", [
    (HEADER.encode().rstrip(), b"\n", 3, None),
    (HEADER.encode().rstrip(), b"\r\n", 3, None),
    (b"\xef\xbb\xbf" + HEADER.encode().rstrip(), b"\n", 3, None),
    (b'\xef\xbb\xbf"Symbol",name,price_usd,last_updated', b"\n", 3, None),
    (b"\n\r\n\n" + HEADER.encode().rstrip(), b"\n", 6, None),
    (b"\xef\xbb\xbf\n" + HEADER.encode().rstrip(), b"\r\n", 4, None),
    (b'symbol,name,"my\nnote",price_usd,last_updated', b"\n", 4, "my\nnote"),
    (b'symbol,name,"my\r\n""note""",price_usd,last_updated', b"\r\n", 4, 'my\r\n"note"'),
    (b"symbol,name,n\xffote,price_usd,last_updated", b"\n", 3, "n\\xffote"),
    (b"symbol,name,n\x00ote,price_usd,last_updated", b"\n", 3, "n\\x00ote"),
], ids=["lf", "crlf", "bom", "bom-quoted", "blank-lines-first", "bom-blank-line-crlf", "quoted-newline",
        "quoted-crlf-and-quotes", "undecodable-ignored-column", "nul-in-ignored-column"])
async def test_a_header_in_any_shape_is_read_and_rows_keep_their_lines(pool, tmp_path, head, newline, bad_line,
                                                                       ignored, block_bytes):
    path = tmp_path / "q.csv"
    extra = b"x," if ignored else b""  # a value for the ignored third column
    path.write_bytes(head + newline + newline.join(row[:12] + extra + row[12:] for row in (ROW, BAD)) + newline)
    outcome = await run_source(pool, CsvSource(path, block_bytes=block_bytes))
    assert outcome.status == "success", outcome.error
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (2, 1, 1)
    assert await pool.fetchval("SELECT location FROM etl_rejects") == f"{path.resolve()}:{bad_line}"
    assert await pool.fetchval("SELECT price_usd FROM quotes_latest") == Decimal(1)
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift == ({"ignored_columns": {str(path.resolve()): [ignored]}} if ignored else {})


@pytest.mark.parametrize("first, appended, bad_line", [
    (b'"last_updated","Name","price_usd","symbol"\r\n',
     b"2026-01-01T00:00:00Z,Bitcoin,1,BTC\r\n2026-01-01T00:00:00Z,Bitcoin,-1,BTC\r\n", 3),
    (b"\n\n", HEADER.encode() + ROW + b"\n" + BAD + b"\n", 5),
], ids=["header-only-then-rows", "blank-lines-then-header-and-rows"])
async def test_rows_appended_to_a_file_that_held_none_load_under_its_header(
        pool, tmp_path, first, appended, bad_line):
    path = tmp_path / "q.csv"
    path.write_bytes(first)
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.status, outcome.counts.read) == ("success", 0)
    with path.open("ab") as handle:
        handle.write(appended)
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.status, outcome.counts.read, outcome.counts.inserted) == ("success", 2, 1)
    assert await pool.fetchval("SELECT location FROM etl_rejects") == f"{path.resolve()}:{bad_line}"
    assert await pool.fetchval("SELECT price_usd FROM quotes_latest") == Decimal(1)


async def test_a_replacement_with_its_columns_in_another_order_is_read_by_its_own_header(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + rows(0, 2))
    await run_source(pool, CsvSource(path))
    path.write_bytes(b"\xef\xbb\xbfprice_usd,last_updated,symbol,name\r\n7,2026-02-01T00:00:00Z,ETH,Ethereum\r\n")
    outcome = await run_source(pool, CsvSource(path))
    assert (outcome.status, outcome.counts.read, outcome.counts.inserted) == ("success", 1, 1)
    assert await pool.fetchval("SELECT price_usd FROM quotes_latest WHERE symbol = 'ETH'") == Decimal(7)


@pytest.mark.parametrize("content, reason", [
    (b"symbol,name,price_usd,last_updated,no\"te\n" + ROW + b",x\n" + ROW + b",y\n",
     "unreadable header row: its end is unclear (a quote that does not pair up, or line ends that are lone "
     "carriage returns)"),
    (HEADER.encode().replace(b"\n", b"\r") + ROW + b"\r",
     "unreadable header row: its end is unclear (a quote that does not pair up, or line ends that are lone "
     "carriage returns)"),
    (HEADER.encode().rstrip() + b"," + b"x" * 200_000 + b"\n" + ROW + b",y\n",
     "unreadable header row: unparseable CSV: field larger than field limit (131072)"),
    (b"sym\xffbol,name,price_usd,last_updated\n" + ROW + b"\n",
     "header lacks required column(s) symbol; 'symbol' may have been renamed to 'sym\\udcffbol' (confidence 0.92)"),
], ids=["stray-quote", "lone-carriage-returns", "over-long-field", "undecodable-required-column"])
async def test_an_unreadable_header_fails_loudly_and_loads_nothing_of_its_file(pool, tmp_path, content, reason):
    (tmp_path / "a.csv").write_bytes(content)
    (tmp_path / "b.csv").write_text(HEADER + rows(0, 2, "ETH", "Ethereum"))
    outcome = await run_source(pool, CsvSource(tmp_path))
    assert outcome.status == "failed"
    assert f"CSV {(tmp_path / 'a.csv').resolve()}: {reason}" in outcome.error
    assert (await run_row(pool, outcome.run_id))["status"] == "failed"  # the findings were recorded
    assert [r["symbol"] for r in await pool.fetch("SELECT symbol FROM quotes_latest")] == ["ETH"]
