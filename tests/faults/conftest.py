"""Fixtures of the fault tests: empty databases on the shared test server and generated CSV files."""
from __future__ import annotations

import pytest

from tests.faults.support import (ServiceProcess, canonical_dump, drop_database, fresh_database, service_env,
                                  write_csv)


@pytest.fixture
async def empty_database(pg_admin_url):
    """Makes empty (unmigrated) databases on the test server; drops them after the test."""
    made: list[str] = []

    async def make() -> str:
        dsn = await fresh_database(pg_admin_url)
        made.append(dsn)
        return dsn

    yield make
    for dsn in made:
        await drop_database(pg_admin_url, dsn)


@pytest.fixture(scope="session")
def big_csv(tmp_path_factory):
    """200,000 quotes of 200 coins (about 16 MB, many 1 MB batches) with 20 bad rows among them."""
    path = tmp_path_factory.mktemp("big") / "quotes.csv"
    write_csv(path, rows=200_000, symbols=200, bad_rows=20)
    return path


@pytest.fixture(scope="session")
async def big_csv_reference(pg_admin_url, big_csv, tmp_path_factory):
    """The canonical dump of one clean, uninterrupted load of `big_csv`."""
    dsn = await fresh_database(pg_admin_url)
    try:
        process = ServiceProcess(service_env(DATABASE_URL=dsn, CSV_PATH=big_csv), "etl", "--source", "csv",
                                 log_dir=tmp_path_factory.mktemp("reference"))
        await process.start()
        assert await process.wait(180) == 0, process.log_tail()
        return await canonical_dump(dsn)
    finally:
        await drop_database(pg_admin_url, dsn)
