"""Migrations: the stairway (apply, roll back, apply again, one step at a time) and idempotent re-runs."""
from __future__ import annotations

import psycopg
from yoyo import get_backend, read_migrations

from service import db


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '_yoyo%'"
            " AND tablename NOT LIKE 'yoyo%'").fetchall()
    return {row[0] for row in rows}


def test_stairway_applies_rolls_back_and_reapplies_every_migration(database_url):
    backend = get_backend(db.yoyo_url(database_url))
    migrations = read_migrations(str(db.MIGRATIONS_DIR))
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(migrations))
        assert _tables(database_url) == set()
        for migration in migrations:
            with backend.lock():
                backend.apply_migrations(backend.to_apply(migrations[:migrations.index(migration) + 1]))
                backend.rollback_migrations(backend.to_rollback(migrations[:migrations.index(migration) + 1]))
                backend.apply_migrations(backend.to_apply(migrations[:migrations.index(migration) + 1]))
    finally:
        backend.connection.close()
    assert {"assets", "quotes_history", "quotes_latest", "etl_runs", "etl_checkpoints"} <= _tables(database_url)


def test_applying_twice_applies_nothing_the_second_time(database_url):
    assert db.apply_migrations(database_url) == []
