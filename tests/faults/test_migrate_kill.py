"""Start-up no crash can block: SIGKILL `python -m service migrate` while it talks to the database, replicas migrating
together, and the lock row an older version left behind."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from yoyo import read_migrations

from service import db
from tests.faults.support import ServiceProcess, free_port, service_env

pytestmark = pytest.mark.slow
ALL_MIGRATIONS = [m.id for m in read_migrations(str(db.MIGRATIONS_DIR))]
KILLS = 10
REPLICAS = 4


async def applied_migrations(dsn: str) -> list[str]:
    """The ids yoyo has marked applied, one entry per mark (a migration applied twice shows twice)."""
    connection = await asyncpg.connect(dsn)
    try:
        if not await connection.fetchval("SELECT to_regclass('_yoyo_migration') IS NOT NULL"):
            return []
        return [r[0] for r in await connection.fetch("SELECT migration_id FROM _yoyo_migration ORDER BY 1")]
    finally:
        await connection.close()


async def assert_fully_migrated(dsn: str) -> None:
    assert sorted(await applied_migrations(dsn)) == sorted(ALL_MIGRATIONS)
    connection = await asyncpg.connect(dsn)
    try:
        # the last migration's work is there (not only its mark), and no lock row is left
        assert await connection.fetchval("SELECT is_valid_numeric('1.5') AND NOT is_valid_numeric('x')")
        assert await connection.fetchval("SELECT count(*) FROM yoyo_lock") == 0
    finally:
        await connection.close()


async def database_connected(admin: asyncpg.Connection, dsn: str) -> None:
    """Until some session is connected to the database of `dsn` (the migrate process has reached it)."""
    name = dsn.split("?")[0].rsplit("/", 1)[1]
    while not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name):
        await asyncio.sleep(0.005)


async def migrate(dsn: str, log_dir: Path, *, kill_after_connect: float | None = None,
                  admin: asyncpg.Connection | None = None) -> int | None:
    """`python -m service migrate`; with `kill_after_connect`, SIGKILLed that long after it first reached the
    database. Returns its exit code, or None when the kill landed while it ran."""
    process = ServiceProcess(service_env(DATABASE_URL=dsn), "migrate", log_dir=log_dir)
    await process.start()
    try:
        if kill_after_connect is not None:
            await asyncio.wait_for(database_connected(admin, dsn), 30)
            await asyncio.sleep(kill_after_connect)
            if not process.alive:
                return process.process.returncode
            await process.kill()
            return None
        code = await process.wait(60)
        assert code == 0, process.log_tail()
        return code
    finally:
        await process.close()


async def time_database_phase(dsn: str, admin: asyncpg.Connection, log_dir: Path) -> float:
    """How long a migrate of an empty database takes from its first connection to its last migration's commit."""
    process = ServiceProcess(service_env(DATABASE_URL=dsn), "migrate", log_dir=log_dir)
    await process.start()
    try:
        await asyncio.wait_for(database_connected(admin, dsn), 30)
        connected = time.monotonic()
        while len(await applied_migrations(dsn)) < len(ALL_MIGRATIONS):
            assert process.alive or process.process.returncode == 0, process.log_tail()
            await asyncio.sleep(0.005)
        done = time.monotonic()
        assert await process.wait(60) == 0, process.log_tail()
        return done - connected
    finally:
        await process.close()


async def test_sigkill_during_migrate_never_blocks_the_next_start(empty_database, pg_admin_url, tmp_path):
    admin = await asyncpg.connect(pg_admin_url)
    try:
        # the fastest of three: one slow measurement (a busy moment) would spread the kills past the work
        phase = min([await time_database_phase(await empty_database(), admin, tmp_path) for _ in range(3)])
        # each kill on a fresh empty database, at moments spread over the first two thirds of the time from its
        # first connection to its last commit (the migrations commit in a burst late in that time, and a run
        # goes faster than the measured one once the server is warm: the last third would only see the end)
        left_behind = []
        for i in range(KILLS):
            dsn = await empty_database()
            code = await migrate(dsn, tmp_path, kill_after_connect=phase * 2 / 3 * i / (KILLS - 1), admin=admin)
            left_behind.append(len(await applied_migrations(dsn)) if code is None else "finished")
            started = time.monotonic()
            assert await migrate(dsn, tmp_path) == 0
            assert time.monotonic() - started < 30
            await assert_fully_migrated(dsn)
        # the kills landed before, between and during migrations, not all after the work was done
        assert sum(1 for state in left_behind if state != "finished" and state < len(ALL_MIGRATIONS)) >= KILLS // 2, \
            left_behind

        # then kill after kill on one database, each run picking up where the killed one stopped, and serve
        dsn = await empty_database()
        for i in range(KILLS // 2):
            await migrate(dsn, tmp_path, kill_after_connect=phase * i / (KILLS // 2), admin=admin)
        await assert_healthy_within(dsn, tmp_path, seconds=10)
        await assert_fully_migrated(dsn)
    finally:
        await admin.close()


async def assert_healthy_within(dsn: str, log_dir: Path, seconds: float) -> None:
    port = free_port()
    env = service_env(DATABASE_URL=dsn, PORT=port, HOST="127.0.0.1", ETL_ON_STARTUP="false")
    service = ServiceProcess(env, log_dir=log_dir)
    started = time.monotonic()
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - started < seconds:
                assert service.alive, service.log_tail()
                try:
                    # 200 with the database connected; "degraded" here only says that no ETL run happened yet
                    async with session.get(f"{service.base_url}/health") as response:
                        if response.status == 200 and (await response.json())["database"] == "connected":
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"not healthy within {seconds} s:\n{service.log_tail()}")
    finally:
        await service.close()


async def test_replicas_migrating_together_apply_each_migration_once(empty_database, tmp_path):
    dsn = await empty_database()
    processes = [ServiceProcess(service_env(DATABASE_URL=dsn), "migrate", log_dir=tmp_path) for _ in range(REPLICAS)]
    await asyncio.gather(*(p.start() for p in processes))
    try:
        codes = await asyncio.gather(*(p.wait(90) for p in processes))
        assert codes == [0] * REPLICAS, [p.log_tail() for p in processes]
        reports = [p.log_text() for p in processes]
        assert sum(int(t.split("applied ")[-1].split(" migration")[0]) for t in reports) == len(ALL_MIGRATIONS)
        await assert_fully_migrated(dsn)
    finally:
        for p in processes:
            await p.close()


async def test_a_lock_row_left_by_an_older_version_does_not_block_start_up(empty_database, tmp_path):
    dsn = await empty_database()
    await migrate(dsn, tmp_path)
    connection = await asyncpg.connect(dsn)
    try:
        # what a process of an older version, killed while holding yoyo's lock, left behind (it used to cost every
        # later start 120 s and a LockTimeout)
        await connection.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 424242)")
        portable = next(m for m in ALL_MIGRATIONS if m.endswith("portable-input-checks"))
        await connection.execute("DELETE FROM _yoyo_migration WHERE migration_id = $1", portable)
        await connection.execute((db.MIGRATIONS_DIR / f"{portable}.rollback.sql").read_text())
    finally:
        await connection.close()
    started = time.monotonic()
    await migrate(dsn, tmp_path)
    assert time.monotonic() - started < 30
    await assert_fully_migrated(dsn)
