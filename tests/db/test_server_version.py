"""The oldest PostgreSQL the service runs on: an older server stops start-up with one line, before any migration."""
from __future__ import annotations

import logging

import psycopg
import pytest

from service import __main__ as cli
from service import db


def test_the_test_servers_version_passes_and_older_ones_are_named(database_url):
    with psycopg.connect(database_url) as connection:
        real = connection.info.server_version
    assert real >= db.MINIMUM_SERVER_VERSION
    db.check_server_version(real)
    with pytest.raises(db.UnsupportedServer, match=r"^PostgreSQL 14\.11 found; the minimum is PostgreSQL 15$"):
        db.check_server_version(140011)
    with pytest.raises(db.UnsupportedServer, match=r"^PostgreSQL 9\.6\.24 found; the minimum is PostgreSQL 15$"):
        db.check_server_version(90624)


def test_migrate_on_a_too_old_server_exits_1_with_one_line_and_applies_nothing(
        pg_admin_url, database_url, monkeypatch, capsys):
    with psycopg.connect(database_url, autocommit=True) as connection:
        real = connection.info.server_version
        connection.execute("DROP TABLE _yoyo_migration")
    # the real server, but a minimum above it: the check reads the version from the connection itself
    monkeypatch.setattr(db, "MINIMUM_SERVER_VERSION", (real // 10000 + 1) * 10000)
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert cli.main(["migrate"]) == 1
    finally:  # main() points the root logger at this test's captured stdout
        root.handlers[:], root.level = handlers, level
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"PostgreSQL {real // 10000}.{real % 10000} found; "
                     f"the minimum is PostgreSQL {real // 10000 + 1}"]
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT to_regclass('_yoyo_migration')").fetchone()[0] is None
