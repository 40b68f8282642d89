"""Crash anywhere: SIGKILL the ETL at random moments, rerun, and end with exactly one clean run's data."""
from __future__ import annotations

import asyncio
import random
import time

import asyncpg
import pytest

from tests.fakes.upstream import FakeCoinGecko, Fault, make_gecko_coins
from tests.faults.support import ServiceProcess, canonical_dump, service_env

pytestmark = pytest.mark.slow
KILLS = 5


async def row_count(dsn: str, table: str) -> int:
    """Rows in `table`, 0 while migrations have not made it yet."""
    connection = await asyncpg.connect(dsn)
    try:
        exists = await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        return await connection.fetchval(f"SELECT count(*) FROM {table}") if exists else 0
    finally:
        await connection.close()


async def run_etl(env: dict, source: str, log_dir, *, kill_after: float | None = None,
                  from_run_start: bool = False) -> int | None:
    """One `python -m service etl --source NAME`; SIGKILLed after `kill_after` seconds when given, counted from the
    process's start or, with `from_run_start`, from the moment its run row appears (start-up time varies with the
    machine's load; the load itself is what those kills are aimed at).

    Returns the exit code, or None when the kill landed while it was still running."""
    opened_before = await row_count(env["DATABASE_URL"], "etl_runs") if from_run_start else 0
    process = ServiceProcess(env, "etl", "--source", source, log_dir=log_dir)
    await process.start()
    try:
        if kill_after is None:
            code = await process.wait(180)
            assert code == 0, f"the uninterrupted run exited {code}:\n{process.log_tail()}"
            return code
        deadline = time.monotonic() + 120
        while from_run_start and process.alive and await row_count(env["DATABASE_URL"], "etl_runs") == opened_before:
            assert time.monotonic() < deadline, f"no run opened within 120 s:\n{process.log_tail()}"
            await asyncio.sleep(0.02)
        try:
            return await process.wait(kill_after)
        except asyncio.TimeoutError:
            await process.kill()
            return None
    finally:
        await process.close()


async def kill_and_rerun(env: dict, source: str, dsn: str, log_dir, rng: random.Random,
                         delays: tuple[float, float]) -> list[int]:
    """KILLS runs each killed after a random delay (the first counted from the process's start, so it may land in
    start-up and migrations; the others from their run's start), then one run to completion; the progress seen
    after each kill."""
    progress = []
    for attempt in range(KILLS):
        code = await run_etl(env, source, log_dir, kill_after=rng.uniform(*delays), from_run_start=attempt > 0)
        assert code in (None, 0), f"an interrupted-then-resumed run failed with exit code {code}"
        progress.append(await row_count(dsn, "quotes_history"))
    assert await run_etl(env, source, log_dir) == 0
    return progress


async def assert_runs_closed(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        statuses = await connection.fetch("SELECT status, error FROM etl_runs ORDER BY id")
    finally:
        await connection.close()
    assert statuses[-1]["status"] == "success"
    assert all(r["status"] != "running" for r in statuses[:-1]), "a killed run was never closed"


async def test_csv_load_killed_at_random_moments_equals_one_clean_run(
        empty_database, big_csv, big_csv_reference, tmp_path):
    seed = int(time.time())
    rng = random.Random(seed)
    crashed = await empty_database()
    options = {"CSV_PATH": big_csv}

    progress = await kill_and_rerun(service_env(DATABASE_URL=crashed, **options), "csv", crashed, tmp_path,
                                    rng, delays=(0.4, 1.5))

    expected = big_csv_reference
    assert len(expected["quotes_history"]) == 200_000 and len(expected["etl_rejects"]) == 20
    assert any(0 < p < 200_000 for p in progress), f"no kill landed mid-load (seed {seed}): {progress}"
    assert await canonical_dump(crashed) == expected, f"seed {seed}, progress after kills {progress}"
    await assert_runs_closed(crashed)


async def test_api_load_killed_at_random_moments_equals_one_clean_run(empty_database, aiohttp_server, tmp_path):
    seed = int(time.time())
    rng = random.Random(seed)
    fake = FakeCoinGecko(make_gecko_coins(3000, seed=3))
    fake.faults.append(Fault(delay=0.12, times=10 ** 6))  # every page slow: ~4 s for 31 pages
    server = await aiohttp_server(fake.make_app())
    clean, crashed = await empty_database(), await empty_database()
    options = {"COINGECKO_BASE_URL": fake.base_url(server), "ETL_SOURCES": "coingecko", "COINGECKO_PER_PAGE": 100,
               "COINGECKO_MAX_PAGES": 50, "COINGECKO_REQUESTS_PER_MINUTE": 60000, "HTTP_MAX_RETRIES": 0}
    assert await run_etl(service_env(DATABASE_URL=clean, **options), "coingecko", tmp_path) == 0

    progress = await kill_and_rerun(service_env(DATABASE_URL=crashed, **options), "coingecko", crashed,
                                    tmp_path, rng, delays=(0.8, 2.5))

    expected = await canonical_dump(clean)
    assert len(expected["quotes_history"]) == 3000
    assert any(0 < p < 3000 for p in progress), f"no kill landed mid-load (seed {seed}): {progress}"
    assert await canonical_dump(crashed) == expected, f"seed {seed}, progress after kills {progress}"
    await assert_runs_closed(crashed)
