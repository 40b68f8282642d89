"""The two ways of staging a CSV block give the same quotes, rejects and reasons: the COPY way (PostgreSQL reads and
normalizes, sql/normalize_csv_block.sql) and the Python reference way (the csv module and normalize.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.etl.csv import copy_way, python_way
from tests.csv.support import HEADER, T, load, messy, snapshot, wipe

ROWS = [
    "BTC,Bitcoin,0.000012345678901234,1,2,-0.5,1,2026-01-01T00:00:00Z",
    "btc ,Bitcoin,6.31917e-7,,,,,2026-01-01T01:00:00",  # lower case, padded, no zone: UTC
    "ETH,Ethereum, 5 ,1e5,1.50,-0.00,1.0,2026-01-01 02:00:00+00:00",
    "ETH,Ethereum,5,,,-0,,2026-01-01T03:00:00+05:30",
    "ETH,Ethereum,5,,,,,2026-01-02",
    f"SOL,,7,,,,,{T}",  # a required column left empty: rejected
    f"SOL, ,7,,,,,{T}",
    f"WBTC,Wrapped BTC (WBTC),7,,,,,{T}",
    f"DASH,---,7,,,,,{T}",
    f"AEON,Æon Coin,7,,,,,{T}",  # not ASCII: judged in Python
    f'XRP,"Ripple, Inc",0.5,,,,,{T}',
    f"BTC,Bitcoin,,,,,,{T}",
    f"BTC,Bitcoin,-1,,,,,{T}",
    f"BTC,Bitcoin,0,,,,,{T}",
    f"BTC,Bitcoin,0.00,,,,,{T}",
    f"BTC,Bitcoin,NaN,,,,,{T}",
    f"BTC,Bitcoin,inf,,,,,{T}",
    f"BTC,Bitcoin,-Infinity,,,,,{T}",
    f"BTC,Bitcoin,abc,,,,,{T}",
    f"BTC,Bitcoin,it's,,,,,{T}",
    f"BTC,Bitcoin,1e31,,,,,{T}",
    "BTC,Bitcoin,1_000,,,,,2026-01-05T00:00:00Z",  # a number to Python, which PostgreSQL 16 also reads
    f"BTC,Bitcoin,0x1A,,,,,{T}",  # a number to PostgreSQL 16 only
    f"BTC,Bitcoin,{'1' * 70},,,,,{T}",
    f"BTC,Bitcoin,1,-5,,,,{T}",
    f"BTC,Bitcoin,1,,,,0,{T}",
    f"BTC,Bitcoin,1,,,,1.5,{T}",
    f"BTC,Bitcoin,1,,,,-1,{T}",
    "BTC,Bitcoin,1,,,,,yesterday",
    "BTC,Bitcoin,1,,,,,now",
    "BTC,Bitcoin,1,,,,,",
    "BTC,Bitcoin,1,,,,,2026-01-01T24:00:00Z",
    "BTC,Bitcoin,1,,,,,2026-01-01T 1:00:00Z",
    "BTC,Bitcoin,1,,,,,2026-02-30T00:00:00Z",
    "BTC,Bitcoin,1,,,,,2026-01-01T23:59:60Z",
    "BTC,Bitcoin,1,,,,,25/11/2026 noon",
    f",Bitcoin,1,,,,,{T}",
    "BTC,Bitcoin,1",
    f"BTC,Bitcoin,1,,,,,{T},extra",
    "ADA,Cardano,0.3,,,,,2026-01-06T00:00:00.123456Z",
    "ADA,Cardano,0.3,,,,,2026-01-07T00:00:00",
    f"{'X' * 70},Long,1,,,,,{T}",
    f"LNG,{'n' * 210},1,,,,,{T}",
    "BTC,Bitcoin,1,,,,,2026-01-08T00:00:00Z",
]


# the rows whose numbers only one of PostgreSQL and Python reads (or reads alike only within 64 characters): a block
# holding any of them is staged as text, any other block has COPY read its numbers
TEXT_ONLY = ("BTC,Bitcoin,1_000,,,,,2026-01-05T00:00:00Z", f"BTC,Bitcoin,0x1A,,,,,{T}",
             f"BTC,Bitcoin,{'1' * 70},,,,,{T}")
TYPED_ROWS = [row for row in ROWS if row not in TEXT_ONLY] + [
    "BTC,Bitcoin,1,,,,,2026-01-09T00:00:00.1234567Z",  # 7 fraction digits: PostgreSQL rounds, Python drops one
    "BTC,Bitcoin,1,,,,,2026-01-10T00:00:00.5",
    "BTC,Bitcoin,1,,,,,2026-01-11T00:00:00+0000",
    "BTC,Bitcoin,1,,,,,2026-01-12T00:00",
    "BTC,Bitcoin,1,,,,,0000-01-01T00:00:00",
    "BTC,Bitcoin,1,,,,,2026-01-13T00:00:00 EST",
    "BTC,Bitcoin,1,,,,,2026-01-14T00:00:00+01:00",
    "BTC,Bitcoin,1,,,,,epoch",
    "BTC,Bitcoin, 2 ,,,,,2026-01-15T00:00:00Z",
    f"BTC,Bitcoin,{'1' * 40},,,,,{T}",
    "BTC,Bitcoin,1e-40,1E+2,0.0,,2e9,2026-01-16T00:00:00Z",
    "BTC,Bitcoin,1,,,,2000000001,2026-01-17T00:00:00Z",
    "BTC,Bitcoin,1,,,-1e30,,2026-01-18T00:00:00Z",
    "BTC,Bitcoin,1,,,-0.00,,2026-01-19T00:00:00Z",
    "BTC,Bitcoin,1,,,+0.5,,2026-01-20T00:00:00Z",
    "BTC,Bitcoin,.5,5.,,,,2026-01-21T00:00:00Z",
    f"BTC\t,Bitcoin,1,,,,,{T}",
]


_SOON = (datetime.now(timezone.utc) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
_LATER = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
# rows for the messy file's columns (Last_Updated, PRICE_USD, Symbol, Notes, Name, Market_Cap_USD,
# volume_24h_usd, Percent_Change_24H, RANK): valid ones first
NASTY_VALID = [
    f"{_SOON},1.5,nasty,,Nasty Coin,,,,",  # a little ahead of the clock: within the tolerance
    "2026-01-01 00:00:00.5,1,nasty,,Nasty Coin,,,,",
    "2026-01-01T01:00:00+00:00,1,NaSTy,,Nasty Coin,,,,",
    "2026-01-01T02:00:00,1_000,nasty,,Nasty Coin,,,,",  # a number to Python: its block takes the Python way
]
NASTY = NASTY_VALID + [
    f"{_LATER},1.5,nasty,,Nasty Coin,,,,",  # a day ahead: future
    "2099-01-01T00:00:00Z,1,nasty,,Nasty Coin,,,,",
    "2026-01-01T03:00:00,0,nasty,,Nasty Coin,,,,",
    "2026-01-01T04:00:00,1,,,Nasty Coin,,,,",
    "2026-01-01T05:00:00,1,nasty",
]


@pytest.fixture
def copied(monkeypatch) -> list[int]:
    """How many parts of blocks the COPY way normalized."""
    parts: list[int] = []
    normalize = copy_way._normalize

    async def spy(*args):
        parts.append(1)
        return await normalize(*args)
    monkeypatch.setattr(copy_way, "_normalize", spy)
    return parts


@pytest.fixture
def judged(monkeypatch) -> list[int]:
    """The lines of the records the Python way judged."""
    lines: list[int] = []
    parse = python_way.parse

    def spy(text, start_line):
        for record in parse(text, start_line):
            lines.append(record[0])
            yield record
    monkeypatch.setattr(python_way, "parse", spy)
    return lines


def python_way_only(monkeypatch) -> None:
    monkeypatch.setattr(copy_way, "can_take", lambda block: False)


async def both_ways(pool, path, rows, monkeypatch, judged, header=HEADER, **kwargs):
    """Loads `rows` the Python way, then (on an empty database) the usual way; returns the Python way's outcome
    and whether both stored the same history, latest state and rejects. `judged` then holds the lines Python
    judged the usual way."""
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    with monkeypatch.context() as patch:
        python_way_only(patch)
        careful = await load(pool, path, **kwargs)
    expected = await snapshot(pool)
    assert len(judged) == len(rows)
    await wipe(pool)
    judged.clear()
    fast = await load(pool, path, **kwargs)
    assert (fast.counts.read, fast.counts.inserted, fast.counts.rejected) == (
        careful.counts.read, careful.counts.inserted, careful.counts.rejected)
    return careful, await snapshot(pool) == expected


async def test_the_copy_way_gives_the_python_ways_quotes_and_reasons(pool, tmp_path, monkeypatch, judged, copied):
    careful, same = await both_ways(pool, tmp_path / "q.csv", TYPED_ROWS, monkeypatch, judged)
    assert same and careful.counts.inserted >= 20 and careful.counts.rejected >= 30
    assert len(copied) > 1  # split around the records COPY cannot read ('abc', short rows)
    # Python judged only what the SQL did not stage: every reject, and no plain record
    assert len(judged) < len(TYPED_ROWS) - 15 and 2 not in judged


async def test_a_block_with_numbers_only_one_reader_reads_takes_the_python_way(
        pool, tmp_path, monkeypatch, judged, copied):
    careful, same = await both_ways(pool, tmp_path / "q.csv", ROWS, monkeypatch, judged)
    assert same and (careful.counts.read, careful.counts.inserted, careful.counts.rejected) == (len(ROWS), 13, 31)
    assert copied == [] and len(judged) == len(ROWS)  # '1_000', '0x1A' or a 70-digit number in the block


async def test_a_messy_file_gives_the_same_both_ways(pool, tmp_path, monkeypatch, judged, copied):
    """The benchmark's messy file (shuffled; times with and without a zone; symbols in any case; odd columns;
    long prices; empty market caps; bad and duplicate rows), small, in many blocks staged ahead."""
    path = tmp_path / "messy.csv"
    expected_counts = messy.write_messy(path, rows=3000, coins=150, seed=3)
    lines = path.read_text().splitlines()
    careful, same = await both_ways(pool, path, lines[1:] + NASTY, monkeypatch, judged, header=lines[0] + "\n",
                                    block_bytes=16384)
    assert same and len(copied) > 10
    assert careful.counts.inserted == expected_counts["valid"] + len(NASTY_VALID)
    assert careful.counts.rejected == expected_counts["bad"] + len(NASTY) - len(NASTY_VALID)
    assert len(judged) < careful.counts.rejected + 20


async def test_a_number_copy_cannot_read_is_judged_alone_and_copy_goes_on_around_it(
        pool, tmp_path, judged, copied):
    rows = [f"C{i},Coin {i},{i + 1},,,,,{T}" for i in range(40)]
    rows[5] = f"C5,Coin 5,n/a,,,,,{T}"
    rows[20] = f"C20,Coin 20,1,,,,-1,{T}"
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (40, 38, 2)
    assert [(ref.rsplit(":", 1)[1], reason) for ref, reason, _ in (await snapshot(pool))["rejects"]] == [
        ("7", "price_usd is not a number: 'n/a'"), ("22", "rank is negative: -1")]
    assert judged == [7, 22] and len(copied) == 2  # the lines before and after line 7


async def test_a_block_with_many_refused_records_has_python_judge_only_those(pool, tmp_path, judged, copied):
    rows = [f"C{i},Coin {i},{0 if i % 3 == 0 else i},,,,,{T}" for i in range(300)]
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (300, 200, 100)
    assert len(copied) == 1 and judged == [line for line in range(2, 302) if line % 3 == 2]
    assert {reason for _, reason, _ in (await snapshot(pool))["rejects"]} == {"price_usd is zero"}


async def test_a_block_with_many_numbers_copy_cannot_read_goes_the_python_way(pool, tmp_path, judged, copied):
    rows = [f"C{i},Coin {i},{'n/a' if i % 4 == 1 else i + 1},,,,,{T}" for i in range(60)]
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (60, 45, 15)
    assert len(copied) == copy_way.MAX_SPLITS  # then the rest of the block went to Python
    assert judged[:copy_way.MAX_SPLITS] == [3 + 4 * i for i in range(copy_way.MAX_SPLITS)]
    assert judged[copy_way.MAX_SPLITS:] == list(range(judged[copy_way.MAX_SPLITS - 1] + 1, 62))


async def test_reasons_and_values(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    await load(pool, path)
    reasons = {int(ref.rsplit(":", 1)[1]): reason for ref, reason, _ in (await snapshot(pool))["rejects"]}
    line = {row: number for number, row in enumerate(ROWS, start=2)}
    assert reasons[line["BTC,Bitcoin,1,,,,,yesterday"]] == "last_updated is not an ISO-8601 time: 'yesterday'"
    assert reasons[line["BTC,Bitcoin,1,,,,,now"]] == "last_updated is not an ISO-8601 time: 'now'"
    assert reasons[line[f"BTC,Bitcoin,,,,,,{T}"]] == "price_usd is missing"
    assert reasons[line[f"BTC,Bitcoin,NaN,,,,,{T}"]] == "price_usd is not finite: NaN"
    assert reasons[line[f"BTC,Bitcoin,-1,,,,,{T}"]] == "price_usd is negative: -1"
    assert reasons[line[f"BTC,Bitcoin,0,,,,,{T}"]] == "price_usd is zero"
    assert reasons[line[f"BTC,Bitcoin,it's,,,,,{T}"]] == "price_usd is not a number: \"it's\""
    assert reasons[line[f"BTC,Bitcoin,1e31,,,,,{T}"]] == "price_usd is out of range: 1e31"
    assert reasons[line[f"SOL,,7,,,,,{T}"]] == reasons[line[f"SOL, ,7,,,,,{T}"]] == "name is empty"
    assert reasons[line[f"BTC,Bitcoin,1,,,,1.5,{T}"]] == "rank is not a positive whole number: 1.5"
    assert reasons[line["BTC,Bitcoin,1"]] == "short row: 3 fields where the header has 8"
    prices = {r["observed_at"].isoformat(): r["price"] for r in await pool.fetch(
        "SELECT observed_at, price_usd::text AS price FROM quotes_history WHERE coin_id = 'btc-bitcoin'")}
    assert prices == {"2026-01-01T00:00:00+00:00": "0.000012345678901234",
                      "2026-01-01T01:00:00+00:00": "0.000000631917",  # no zone: UTC
                      "2026-01-05T00:00:00+00:00": "1000",
                      "2026-01-08T00:00:00+00:00": "1"}
    eth = await pool.fetchrow("SELECT price_usd, market_cap_usd, percent_change_24h::text AS change, rank"
                              " FROM quotes_history WHERE coin_id = 'eth-ethereum' AND observed_at = $1",
                              await pool.fetchval("SELECT '2026-01-01T02:00:00Z'::timestamptz"))
    assert (eth["price_usd"], eth["market_cap_usd"], eth["change"], eth["rank"]) == (
        Decimal(5), Decimal(100000), "0.00", 1)  # PostgreSQL's NUMERIC has no negative zero
    coins = {r["coin_id"]: r["name"] for r in await pool.fetch("SELECT DISTINCT coin_id, name FROM quotes_history")}
    assert "sol-sol" not in coins and coins["wbtc-wrapped-btc-wbtc"] == "Wrapped BTC (WBTC)"
    assert coins["dash----"] == "---" and coins["xrp-ripple-inc"] == "Ripple, Inc"
    assert coins["aeon-on-coin"] == "Æon Coin"


async def test_a_block_with_a_bad_row_still_loads_around_it_in_file_order(pool, tmp_path, judged):
    rows = [f"C{i},Coin {i},{i + 1},,,,,{T}" for i in range(40)]
    rows[17] = "C17,Coin 17,1"
    rows[30] = f"C30,Coin 30,-3,,,,,{T}"
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (40, 38, 2)
    rejects = (await snapshot(pool))["rejects"]
    assert [(ref.rsplit(":", 1)[1], reason) for ref, reason, _ in rejects] == [
        ("19", "short row: 3 fields where the header has 8"), ("32", "price_usd is negative: -3")]
    assert judged == [19, 32]  # the short row COPY failed on and the record SQL refused: no other


async def test_quoted_newlines_and_bad_bytes_take_the_python_path(pool, tmp_path):
    path = tmp_path / "q.csv"
    content = (HEADER.encode() + f'BTC,"Bit\ncoin",1,,,,,{T}\n'.encode()
               + f"ETH,Ether\xffeum,2,,,,,{T}\n".encode("latin-1")
               + f"SOL,Solana,,,,,,{T}\n".encode())
    path.write_bytes(content)
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (3, 1, 2)
    assert await pool.fetchval("SELECT name FROM quotes_history") == "Bit\ncoin"
    rejects = (await snapshot(pool))["rejects"]
    assert [(ref.rsplit(":", 1)[1], reason) for ref, reason, _ in rejects] == [
        ("4", "row holds bytes that are not valid UTF-8"), ("5", "price_usd is missing")]
    assert await pool.fetchval("SELECT content FROM raw_csv_blocks") == content  # bytes as received


async def test_raw_blocks_are_stored_once(pool, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    text = HEADER + "".join(f"C{i},Coin {i},{i + 1},,,,,{T}\n" for i in range(200))
    (folder / "a.csv").write_text(text)
    first = await load(pool, folder / "a.csv", block_bytes=2048)
    blocks = await pool.fetch(
        "SELECT byte_start, byte_end, first_line, content FROM raw_csv_blocks ORDER BY byte_start")
    assert len(blocks) > 3 and first.counts.inserted == 200
    assert b"".join(b["content"] for b in blocks) == text.encode()
    assert [b["byte_start"] for b in blocks[1:]] == [b["byte_end"] for b in blocks[:-1]]
    assert blocks[1]["first_line"] == blocks[0]["content"].count(b"\n")
    # the file read afresh (its checkpoint gone), and a copy of it under another name: no block stored again
    await pool.execute("DELETE FROM etl_checkpoints")
    (folder / "b.csv").write_text(text)
    again = await load(pool, folder, block_bytes=2048)
    assert again.counts.read == 400 and again.counts.inserted == 0
    assert await pool.fetchval("SELECT count(*) FROM raw_csv_blocks") == len(blocks)


async def test_other_column_orders_and_extra_columns(pool, tmp_path, judged):
    path = tmp_path / "q.csv"
    path.write_text("Last_Updated,extra,PRICE_USD,name,symbol,price_usd\n"
                    f"{T},x,3,Bitcoin,BTC,999\n"
                    f"{T},y,,Ethereum,ETH,1\n")
    outcome = await load(pool, path)
    assert (outcome.counts.inserted, outcome.counts.rejected) == (1, 1)
    assert await pool.fetchval("SELECT price_usd FROM quotes_history") == 3  # the first price_usd column
    rejects = (await snapshot(pool))["rejects"]
    assert [(reason, raw) for _, reason, raw in rejects] == [("price_usd is missing", f"{T},y,,Ethereum,ETH,1")]
    assert judged == [3]  # the record the SQL refused (the typed way leaves reasons to Python), and no other


async def test_a_bad_byte_deep_in_a_big_block_costs_only_its_row(pool, tmp_path):
    rows = [f"C{i},Coin {i},{i + 1},,,,,{T}".encode() for i in range(20000)]
    rows[15000] = f"C15000,Coin\xff,3,,,,,{T}".encode("latin-1")
    path = tmp_path / "q.csv"
    path.write_bytes(HEADER.encode() + b"\n".join(rows) + b"\n")
    outcome = await load(pool, path, block_bytes=1 << 22)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (20000, 19999, 1)
    assert (await snapshot(pool))["rejects"][0][0].endswith(":15002")


async def test_crlf_line_ends(pool, tmp_path, judged):
    path = tmp_path / "q.csv"
    text = HEADER + f"BTC,Bitcoin,1.50,,,,,{T}\n" + f"ETH,Ethereum,,,,,,{T}\n"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    outcome = await load(pool, path)
    assert (outcome.counts.inserted, outcome.counts.rejected) == (1, 1)
    assert await pool.fetchval("SELECT price_usd::text FROM quotes_history") == "1.50"
    assert [(ref.rsplit(":", 1)[1], reason, raw) for ref, reason, raw in (await snapshot(pool))["rejects"]] == [
        ("3", "price_usd is missing", f"ETH,Ethereum,,,,,,{T}")]
    assert judged == [3]  # the refused record, its carriage return gone as in the csv module's reading


@pytest.mark.parametrize(("record", "disputed"), [
    (b"BTC,Bitcoin,0x1A,,\n", True), (b"BTC,Bitcoin,1_000\n", True), (b'A,B," -0b101 ",x\n', True),
    (b"A,B,+0o17", True), (b"A,B,1.5e1_0\n", True), (b"A,B,2,x\nC,D,0X1f\n", True),
    # read alike by both readers, or by neither: the block stays on the COPY way
    (b"ZRX,0x Protocol,1.5\n", False), (b"A,0xBitcoin,1\n", False), (b"A,see_ticket,1\n", False),
    (b"A,B,1.5,2026-01-01_x\n", False), (b"A,B,00x1\n", False), (b"A,B,10x\n", False), (b"A,B,1.5\n", False),
])
def test_numbers_the_two_readers_may_read_differently_are_found_in_any_field(record, disputed):
    assert copy_way._disputed_number(record) is disputed
