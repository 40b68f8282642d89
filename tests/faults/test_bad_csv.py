"""Bad CSV files, each alone and all together beside good ones: clear rejects, no crash, no hang, good rows kept."""
from __future__ import annotations

import asyncio

import pytest

from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource

HEADER = b"symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"


def good(symbol: str, hour: int) -> bytes:
    return f"{symbol},{symbol.title()} Coin,{hour + 1}.25,,,,,2026-11-25T{hour:02d}:00:00Z\n".encode()


# name -> (file bytes, good rows in it, words a reject of the file must hold)
BAD_FILES = {
    "a_encoding.csv": (HEADER + good("AAA", 0) + b"BAD,Caf\xe9 \xff\xfe,1,,,,,2026-11-25T01:00:00Z\n" + good("AAA", 2),
                       2, "UTF-8"),
    "b_no_header.csv": (good("BBB", 0) + good("BBB", 1), 0, "header"),
    "c_quoted_newline.csv": (HEADER + good("CCC", 0) + b'CCC,"Multi\nLine",1,,,,,2026-11-25T01:00:00Z\n'
                             + b'CCC,"Unclosed,1,,,,,2026-11-25T02:00:00Z\n' + good("CCC", 3), 2, ""),
    "d_truncated.csv": (HEADER + good("DDD", 0) + good("DDD", 1) + b"DDD,Ddd Coin,3.2", 2, "short row"),
    "e_huge_line.csv": (HEADER + good("EEE", 0) + b"EEE,Eee" + b"x" * (10 * 1024 * 1024) + b",1,,,,,"
                        b"2026-11-25T01:00:00Z\n" + good("EEE", 2), 2, "longer than"),
    "f_empty.csv": (b"", 0, "empty"),
}

FAILS_THE_RUN = {"b_no_header.csv"}


async def load(pool, path):
    outcome = await asyncio.wait_for(run_source(pool, CsvSource(path)), timeout=60)
    rejects = await pool.fetch("SELECT location, reason FROM etl_rejects ORDER BY id")
    history = await pool.fetchval("SELECT count(*) FROM quotes_history")
    return outcome, rejects, history


@pytest.mark.parametrize("name", sorted(BAD_FILES))
async def test_each_bad_file_alone_gets_a_clear_reject_and_its_good_rows_load(name, pool, tmp_path):
    content, good_rows, words = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    outcome, rejects, history = await load(pool, path)
    if name in FAILS_THE_RUN:
        # a file the service cannot read at all fails the run loudly, naming the file and the cause
        assert outcome.status == "failed" and name in outcome.error and words in outcome.error, outcome.error
        assert history == 0
        return
    assert outcome.status == "success", outcome.error
    assert history == good_rows + (1 if name == "c_quoted_newline.csv" else 0) or (
        name == "c_quoted_newline.csv" and history >= good_rows), (history, rejects)
    if words:
        assert any(words.lower() in r["reason"].lower() for r in rejects), rejects
    for reject in rejects:
        assert reject["reason"] and reject["location"].startswith(str(path.resolve()))


async def test_quoted_newline_is_one_record_and_an_unclosed_quote_costs_at_most_its_own_rows(pool, tmp_path):
    path = tmp_path / "c_quoted_newline.csv"
    path.write_bytes(BAD_FILES["c_quoted_newline.csv"][0])
    outcome, rejects, history = await load(pool, path)
    names = {r["name"] for r in await pool.fetch("SELECT name FROM quotes_history")}
    assert "Ccc Coin" in names
    assert outcome.counts.read == history + len(rejects)
    # the good row before the broken quote always loads; a reject names every row it swallowed
    assert history >= 1 and all(r["reason"] for r in rejects)


@pytest.mark.slow
async def test_all_bad_files_in_one_directory_beside_good_ones(pool, tmp_path):
    expected_good = 0
    for name, (content, good_rows, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(content)
        expected_good += good_rows
    (tmp_path / "0_good.csv").write_bytes(HEADER + good("GGG", 0) + good("GGG", 1))
    (tmp_path / "z_good.csv").write_bytes(HEADER + good("ZZZ", 0) + good("ZZZ", 1) + good("ZZZ", 2))
    (tmp_path / "notes.txt").write_bytes(b"not a csv")
    outcome, rejects, history = await load(pool, tmp_path)
    # the header-less file fails the run, naming only itself; every other file still loads
    assert outcome.status == "failed" and "b_no_header.csv" in outcome.error, outcome.error
    assert not [n for n in BAD_FILES if n in outcome.error and n not in FAILS_THE_RUN], outcome.error
    assert history >= expected_good + 5
    symbols = {r["symbol"] for r in await pool.fetch("SELECT DISTINCT symbol FROM quotes_history")}
    assert {"GGG", "ZZZ", "AAA", "CCC", "DDD", "EEE"} <= symbols
    for name, (_, _, words) in BAD_FILES.items():
        if words and name not in FAILS_THE_RUN:
            mine = [r for r in rejects if r["location"].startswith(str((tmp_path / name).resolve()))]
            assert any(words.lower() in r["reason"].lower() for r in mine), (name, mine)
    again, _, history_again = await load(pool, tmp_path)
    assert again.counts.read == 0 and history_again == history, "a rerun read good files again"
