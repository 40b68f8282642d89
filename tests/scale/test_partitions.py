"""Partitioned history: converted in place, a month for any observation, retention drops exactly the old months."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import asyncpg
from yoyo import get_backend, read_migrations

from service import db, partitions
from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.web.keys import SCHEDULER
from tests.api.helpers import load_csv
from tests.conftest import replace
from tests.scale.conftest import eventually

MIGRATION = "0006.history-partitions"
# migrations that change what 0006 made, rolled back with it
AMENDS = ("0009.partition-lock-parent-only",)
CHECKSUM = ("SELECT count(*) AS rows, count(DISTINCT (listing_id, observed_at)) AS keys, "
            "md5(string_agg(q::text, '|' ORDER BY listing_id, observed_at)) AS digest FROM quotes_history AS q")
KIND = "SELECT relkind::text FROM pg_class WHERE oid = 'quotes_history'::regclass"
LATEST = "SELECT md5(string_agg(l::text, '|' ORDER BY source, coin_id)) FROM quotes_latest AS l"


def _rows(times_by_symbol: dict[str, list[datetime]], price: str = "1.5") -> str:
    return "".join(f"{symbol},{symbol} coin,{price},1000,10,0.5,1,{t.isoformat()}\n"
                   for symbol, times in times_by_symbol.items() for t in times)


def _month(t: datetime) -> datetime:
    return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(t: datetime) -> datetime:
    start = _month(t)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def _partition(t: datetime) -> str:
    return f"quotes_history_p{t.year:04d}_{t.month:02d}"


def _migrate(url: str, *, rollback: bool) -> None:
    backend = get_backend(db.yoyo_url(url))
    try:
        migrations = read_migrations(str(db.MIGRATIONS_DIR))
        with backend.lock():
            if rollback:
                undone = (MIGRATION, *AMENDS)
                backend.rollback_migrations([m for m in backend.to_rollback(migrations) if m.id in undone])
            else:
                backend.apply_migrations(backend.to_apply(migrations))
    finally:
        backend.connection.close()


async def _partitions(pool) -> list[str]:
    return [r["name"] for r in await pool.fetch(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'quotes_history'::regclass ORDER BY 1")]


async def test_the_migration_converts_a_database_holding_history_in_place_and_back(
        database_url, settings, pool, tmp_path):
    years = [datetime(y, m, 3, h, tzinfo=timezone.utc) for y in (1999, 2015, 2025) for m in (1, 6, 12)
             for h in range(4)]
    await load_csv(pool, tmp_path / "years.csv", _rows({"OLD": years, "NEW": years[4:]}))
    before = dict(await pool.fetchrow(CHECKSUM))
    assert before["rows"] == before["keys"] == 36 + 32

    await pool.close()
    await asyncio.to_thread(_migrate, database_url, rollback=True)
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval(KIND) == "r"
        assert dict(await connection.fetchrow(CHECKSUM)) == before
    finally:
        await connection.close()

    await asyncio.to_thread(_migrate, database_url, rollback=False)
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval(KIND) == "p"
        assert dict(await connection.fetchrow(CHECKSUM)) == before
        names = set(await _partitions(connection))
        assert {_partition(t) for t in years} <= names
        # each row sits in its own month's partition, none in another
        misplaced = await connection.fetchval(
            "SELECT count(*) FROM quotes_history WHERE tableoid::regclass::text <> "
            "'quotes_history_p' || to_char(observed_at AT TIME ZONE 'UTC', 'YYYY_MM')")
        assert misplaced == 0
    finally:
        await connection.close()


async def test_an_observation_of_any_age_finds_its_partition(pool, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    times = [datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2003, 2, 28, 23, 59, 59, tzinfo=timezone.utc),
             datetime(2003, 3, 1, tzinfo=timezone.utc), now - timedelta(days=3650), now - timedelta(seconds=5)]
    outcome = await load_csv(pool, tmp_path / "ages.csv", _rows({"AGE": times}))
    assert outcome.counts.inserted == len(times)
    names = set(await _partitions(pool))
    assert {_partition(t) for t in times} <= names
    stored = [r["observed_at"] for r in await pool.fetch(
        "SELECT observed_at FROM quotes_history WHERE symbol = 'AGE' ORDER BY observed_at")]
    assert stored == times


async def test_two_sessions_adding_the_same_month_at_once_both_succeed(database_url):
    month = datetime(2001, 5, 17, tzinfo=timezone.utc)
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        async with first.transaction():
            assert await first.fetchval("SELECT ensure_history_partitions($1)", [month]) == 1
            waiting = asyncio.create_task(second.fetchval("SELECT ensure_history_partitions($1)", [month]))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # it waits for the first one's lock, then finds the month there
        assert await waiting == 0
        assert await first.fetchval("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                                    "'quotes_history_p2001_05'::regclass") == 1
    finally:
        await first.close()
        await second.close()


async def test_adding_a_month_does_not_wait_for_work_on_another_month(database_url):
    """Autovacuum holds SHARE UPDATE EXCLUSIVE on the partition it vacuums: adding a month must not wait for it."""
    connection, vacuum = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await connection.fetchval("SELECT ensure_history_partitions($1)", [datetime(2002, 1, 5, tzinfo=timezone.utc)])
        async with vacuum.transaction():
            await vacuum.execute("LOCK TABLE quotes_history_p2002_01 IN SHARE UPDATE EXCLUSIVE MODE")
            await connection.execute("SET lock_timeout = '2s'")
            added = await connection.fetchval("SELECT ensure_history_partitions($1)",
                                              [datetime(2002, 2, 5, tzinfo=timezone.utc)])
        assert added == 1
    finally:
        await connection.close()
        await vacuum.close()


async def test_retention_drops_exactly_the_months_wholly_older_than_it(pool, make_client, settings, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ages = (900, 400, 200, 95, 70, 61, 59, 40, 10, 1)
    times = [now - timedelta(days=days) for days in ages]
    await load_csv(pool, tmp_path / "a.csv", _rows({"KEEP": times, "GONE": times[:2]}))
    latest = await pool.fetchval(LATEST)
    cutoff = now - timedelta(days=60)
    expired = {_partition(t) for t in times if _next_month(t) <= cutoff}
    kept_times = [t for t in times if _next_month(t) > cutoff]
    assert expired and len(kept_times) < len(times)
    partitions_before = set(await _partitions(pool))

    dropped = await partitions.drop_expired(pool, 60)

    assert sorted(dropped) == sorted(expired)
    assert set(await _partitions(pool)) == partitions_before - expired
    assert not await pool.fetchval("SELECT count(*) FROM pg_class WHERE relname = ANY($1::text[])", list(expired))
    assert await pool.fetchval(LATEST) == latest  # the latest state, GONE's too, stays
    client = await make_client(settings)
    body = await (await client.get("/history?symbol=KEEP&limit=1000")).json()
    assert [datetime.fromisoformat(r["observed_at"]) for r in body["data"]] == kept_times
    assert all(t in kept_times for t in times if t >= cutoff)  # nothing inside the retention is missing
    data = await (await client.get("/data?symbol=GONE")).json()
    assert [r["observed_at"] for r in data["data"]] == [times[1].isoformat().replace("+00:00", "Z")]
    assert await partitions.drop_expired(pool, 60) == []


async def test_retention_runs_at_start_up_and_after_every_etl_run(pool, make_client, settings, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    old, recent = now - timedelta(days=400), now - timedelta(days=1)
    await load_csv(pool, tmp_path / "a.csv", _rows({"RET": [old, recent]}))
    assert _partition(old) in await _partitions(pool)

    client = await make_client(replace(settings, history_retention_days=30))
    await eventually(lambda: _gone(pool, _partition(old)))

    older = now - timedelta(days=800)
    await load_csv(pool, tmp_path / "b.csv", _rows({"RET": [older]}))
    assert _partition(older) in await _partitions(pool)
    await client.app[SCHEDULER].run_all()
    assert _partition(older) not in await _partitions(pool)
    assert await pool.fetchval("SELECT count(*) FROM quotes_history WHERE symbol = 'RET'") == 1


async def _gone(pool, name: str) -> bool:
    return name not in await _partitions(pool)


async def test_months_ahead_are_created_once(pool):
    month = _month(datetime.now(timezone.utc))
    ahead = []
    for _ in range(3):
        ahead.append(_partition(month))
        month = _next_month(month)
    for name in ahead:
        await pool.execute(f'DROP TABLE IF EXISTS "{name}"')
    assert await partitions.create_ahead(pool) == 3
    assert set(ahead) <= set(await _partitions(pool))
    assert await partitions.create_ahead(pool) == 0
