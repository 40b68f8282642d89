"""The CSV fast paths (COPY + sql/normalize_csv_typed.sql, COPY + sql/normalize_csv_stage.sql) give what the careful
Python path gives, row for row."""
from __future__ import annotations

from decimal import Decimal

import pytest

from service.etl import csv_stage
from service.etl.pipeline import run_source
from service.etl.sources import csv as csv_source
from service.etl.sources.csv import CsvSource

HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
T = "2026-01-01T00:00:00Z"
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


@pytest.fixture
def staged_as(monkeypatch):
    """How each part of a CSV block COPY read was normalized: 'typed' (COPY read the numbers) or 'text'."""
    ways: list[str] = []
    typed, text = csv_stage._normalize_typed, csv_stage._normalize_text

    async def spy_typed(*args):
        ways.append("typed")
        return await typed(*args)

    async def spy_text(*args):
        ways.append("text")
        return await text(*args)
    monkeypatch.setattr(csv_stage, "_normalize_typed", spy_typed)
    monkeypatch.setattr(csv_stage, "_normalize_text", spy_text)
    return ways


@pytest.fixture
def python_path(monkeypatch):
    monkeypatch.setattr(csv_source, "SQL_PARSE", False)


@pytest.fixture
def judged(monkeypatch):
    """The lines of the records normalize.py judged (the Python path's work)."""
    lines: list[int] = []
    judge = csv_source._FileReader._judge

    def spy(self, batch, line_no, fields):
        lines.append(line_no)
        return judge(self, batch, line_no, fields)
    monkeypatch.setattr(csv_source._FileReader, "_judge", spy)
    return lines


async def snapshot(pool) -> dict:
    history = await pool.fetch(
        "SELECT (q.source, q.coin_id, q.observed_at, q.symbol, q.name, q.rank, q.price_usd, q.market_cap_usd,"
        " q.volume_24h_usd, q.percent_change_24h, q.circulating_supply, q.total_supply, q.max_supply,"
        " a.match_key)::text AS row"
        " FROM quotes_history q JOIN assets a ON a.id = q.asset_id ORDER BY q.coin_id, q.observed_at")
    rejects = await pool.fetch("SELECT location, reason, raw FROM etl_rejects ORDER BY id")
    return {"history": [r["row"] for r in history], "rejects": [tuple(r) for r in rejects]}


async def wipe(pool) -> None:
    await pool.execute("TRUNCATE quotes_history, history_symbols, quotes_latest, etl_rejects, asset_sources, assets,"
                       " raw_csv_blocks, etl_checkpoints")


async def load(pool, path, **kwargs):
    outcome = await run_source(pool, CsvSource(path, **kwargs))
    assert outcome.status == "success", outcome.error
    return outcome


async def both_paths(pool, path, rows, monkeypatch, judged):
    """Loads `rows` the careful Python way, then (on an empty database) the SQL way; returns both outcomes and
    whether both stored the same history and rejects. `judged` then holds the lines Python judged the SQL way."""
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(csv_source, "SQL_PARSE", False)
    careful = await load(pool, path)
    expected = await snapshot(pool)
    assert len(judged) == len(rows)
    await wipe(pool)
    judged.clear()
    monkeypatch.setattr(csv_source, "SQL_PARSE", True)
    fast = await load(pool, path)
    assert (fast.counts.read, fast.counts.inserted, fast.counts.rejected) == (
        careful.counts.read, careful.counts.inserted, careful.counts.rejected)
    return careful, await snapshot(pool) == expected


async def test_sql_path_gives_the_python_paths_quotes_and_reasons(pool, tmp_path, monkeypatch, judged, staged_as):
    careful, same = await both_paths(pool, tmp_path / "q.csv", ROWS, monkeypatch, judged)
    assert same and (careful.counts.read, careful.counts.inserted, careful.counts.rejected) == (len(ROWS), 13, 31)
    # PostgreSQL judged most records; Python only those with unusual spellings (and none of the plain ones)
    assert 0 < len(judged) <= 15
    assert 2 not in judged and 2 + ROWS.index("BTC,Bitcoin,1,,,,,yesterday") not in judged
    assert set(staged_as) == {"text"}  # its block holds numbers only one of PostgreSQL and Python reads


async def test_typed_path_gives_the_python_paths_quotes_and_reasons(pool, tmp_path, monkeypatch, judged, staged_as):
    careful, same = await both_paths(pool, tmp_path / "q.csv", TYPED_ROWS, monkeypatch, judged)
    assert same and careful.counts.inserted >= 20 and careful.counts.rejected >= 30
    assert set(staged_as) == {"typed"}  # split around the records COPY cannot read ('abc', short rows)
    # Python judged only what the SQL did not stage: every reject, and no plain record
    assert len(judged) < len(TYPED_ROWS) - 15 and 2 not in judged


async def test_a_number_copy_cannot_read_is_judged_alone_and_copy_goes_on_around_it(
        pool, tmp_path, judged, staged_as):
    rows = [f"C{i},Coin {i},{i + 1},,,,,{T}" for i in range(40)]
    rows[5] = f"C5,Coin 5,n/a,,,,,{T}"
    rows[20] = f"C20,Coin 20,1,,,,-1,{T}"
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (40, 38, 2)
    assert [(ref.rsplit(":", 1)[1], reason) for ref, reason, _ in (await snapshot(pool))["rejects"]] == [
        ("7", "price_usd is not a number: 'n/a'"), ("22", "rank is negative: -1")]
    assert judged == [7, 22] and staged_as == ["typed", "typed"]  # the lines before and after line 7


async def test_a_block_with_many_refused_records_goes_the_text_way(pool, tmp_path, judged, staged_as):
    rows = [f"C{i},Coin {i},{0 if i % 3 == 0 else i},,,,,{T}" for i in range(300)]
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (300, 200, 100)
    assert staged_as == ["typed", "text"] and judged == []  # the text way wrote the 100 reasons in SQL
    assert {reason for _, reason, _ in (await snapshot(pool))["rejects"]} == {"price_usd is zero"}


async def test_a_block_with_many_numbers_copy_cannot_read_goes_the_text_way(pool, tmp_path, judged, staged_as):
    rows = [f"C{i},Coin {i},{'n/a' if i % 4 == 1 else i + 1},,,,,{T}" for i in range(60)]
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (60, 45, 15)
    assert staged_as[-1] == "text" and staged_as.count("typed") == csv_stage._MAX_SPLITS
    assert len(judged) == csv_stage._MAX_SPLITS  # the text way wrote the other reasons in SQL


async def test_reasons_and_values_on_the_sql_path(pool, tmp_path, judged):
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
    for row in ("BTC,Bitcoin,1,,,,,yesterday", f"BTC,Bitcoin,,,,,,{T}", f"BTC,Bitcoin,it's,,,,,{T}"):
        assert line[row] not in judged  # written by the SQL, not by Python
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
