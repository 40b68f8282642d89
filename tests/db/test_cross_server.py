"""Identical results on every supported major: the same CSV input loaded by `python -m service etl` into the test
server and into private servers of the other majors at hand (Debian's 15, the embedded wheel's 16 and 18, and
those TEST_PG_MATRIX lists) gives the same quotes, rejects and reject reasons."""
from __future__ import annotations

import os
import random
from pathlib import Path

import asyncpg
import pytest

from tests.faults.support import (ServiceProcess, canonical_dump, drop_database, fresh_database, service_env,
                                  write_csv)
from tests.pgservers import DEBIAN_PG15_BIN, LocalServer, wheel_bin

pytestmark = pytest.mark.slow
HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
# every check of sql/normalize_csv_*.sql and service/etl/normalize.py, and spellings PostgreSQL majors read apart
EDGE_ROWS = [
    "AAA,Alpha,1.5,100,200,-1.25,1,2026-11-25T00:00:00Z",
    "AAA,Alpha,1.50,100,200,-1.25,1,2026-11-25 01:00:00",
    "AAA,Alpha,2,,,,,2026-11-25T02:00:00+00:00",
    "AAA,Alpha,2.000000000000000000000000001,1e3,2E+3,0,2,2026-11-25T03:00:00.123456Z",
    ",Nameless,1,,,,,2026-11-25T00:00:00Z",
    "BBB,,1,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,0,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,-1,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,abc,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,NaN,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,inf,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,-Infinity,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,1e999999,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,1e30,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,1_000,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,0x1F,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,0o17,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,1.2.3,,,,,2026-11-25T00:00:00Z",
    "BBB,Beta," + "9" * 70 + ",,,,,2026-11-25T00:00:00Z",
    "BBB,Beta,1,-5,,,,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,-5,,,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,1e40,,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,,0,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,,1.5,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,,-3,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,,3000000000,2026-11-25T01:00:00Z",
    "BBB,Beta,1,,,,x,2026-11-25T01:00:00Z",
    "CCC,Gamma,1,,,,,",
    "CCC,Gamma,1,,,,,yesterday",
    "CCC,Gamma,1,,,,,epoch",
    "CCC,Gamma,1,,,,,2026-13-01T00:00:00Z",
    "CCC,Gamma,1,,,,,2026-11-25T24:00:00Z",
    "CCC,Gamma,1,,,,,2026-11-25T23:59:60Z",
    "CCC,Gamma,1,,,,,2026-11-25T01:00:00+02:00",
    "CCC,Gamma,1,,,,,2026-11-25T 1:00:00Z",
    "CCC,Gamma,1,,,,,2026-11-25T01:00:00.1234567Z",
    "CCC,Gamma,1,,,,,25/11/2026",
    "CCC,Gamma,1,,,,,2026-11-25",
    "DDD,Délta Ω,3.25,,,,,2026-11-25T00:00:00Z",
    "DDD,Delta,３,,,,,2026-11-25T00:00:00Z",
    "EEE,E" + "e" * 250 + ",1,,,,,2026-11-25T00:00:00Z",
    "FFF,Foxtrot,  7.5  ,,,,, 2026-11-25T00:00:00Z ",
]


def edge_files(directory: Path) -> Path:
    """Three files: the edge rows as they are (numbers only Python reads make the block take the text way), the
    edge rows without those (the typed way), and generated quotes with bad rows among them."""
    directory.mkdir()
    (directory / "a_edges.csv").write_text(HEADER + "\n".join(EDGE_ROWS) + "\n", encoding="utf-8")
    plain = [row for row in EDGE_ROWS if "_" not in row and "0x" not in row and "0o" not in row and "9" * 70 not in row]
    rows = [row.replace("2026-11-25", "2026-11-24") for row in plain]
    random.Random(7).shuffle(rows)
    (directory / "b_typed_edges.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    write_csv(directory / "c_generated.csv", rows=4000, symbols=40, bad_rows=40)
    return directory


def other_servers() -> list[Path]:
    """Bin directories of the majors at hand: TEST_PG_MATRIX's (CI adds 17 there), Debian's 15, the wheel's."""
    listed = [Path(p) for p in os.environ.get("TEST_PG_MATRIX", "").split(os.pathsep) if p]
    found = [DEBIAN_PG15_BIN, wheel_bin(16), wheel_bin(18)]
    return [p for p in (*listed, *found) if p is not None and (p / "postgres").exists()]


async def server_major(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()


async def load(admin_dsn: str, csv_path: Path, log_dir: Path) -> dict[str, list[str]]:
    dsn = await fresh_database(admin_dsn)
    try:
        process = ServiceProcess(service_env(DATABASE_URL=dsn, CSV_PATH=csv_path), "etl", "--source", "csv",
                                 log_dir=log_dir)
        await process.start()
        try:
            code = await process.wait(180)
        finally:
            await process.close()
        assert code == 0, process.log_tail()
        return await canonical_dump(dsn)
    finally:
        await drop_database(admin_dsn, dsn)


async def test_every_major_at_hand_loads_the_same_quotes_rejects_and_reasons(pg_admin_url, tmp_path):
    csv_path = edge_files(tmp_path / "csv")
    reference_major = await server_major(pg_admin_url)
    reference = await load(pg_admin_url, csv_path, tmp_path)
    # the run is worth comparing: quotes, and rejects of most edge rows besides the generated bad ones
    assert len(reference["quotes_history"]) > 4000 and len(reference["quotes_latest"]) >= 40
    assert len(reference["etl_rejects"]) >= 40 + 50

    compared = []
    for bin_dir in other_servers():
        with LocalServer(bin_dir) as dsn:
            major = await server_major(dsn)
            if major == reference_major or major in compared:
                continue
            dump = await load(dsn, csv_path, tmp_path)
        for table in reference:
            assert dump[table] == reference[table], f"PostgreSQL {major} differs from {reference_major} in {table}"
        compared.append(major)
    # CI names the majors it installed, so that none of them can drop out of the comparison unseen
    required = {int(m) for m in os.environ.get("TEST_PG_REQUIRE_MAJORS", "").split(",") if m}
    assert required <= {reference_major, *compared}, f"compared {reference_major} with {compared} only"
    if not compared:
        pytest.skip(f"no PostgreSQL major other than {reference_major} at hand to compare with")
