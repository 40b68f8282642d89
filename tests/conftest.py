"""Shared fixtures: a real PostgreSQL (DATABASE_URL / TEST_DATABASE_URL or the embedded one), a migrated
template database cloned for every test, the app under test, and settings pointing at local fakes."""
from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from service import db
from service.settings import PROJECT_ROOT, Settings
from tests.pgservers import LocalServer


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_admin_url():
    """A server we may create databases on: the one named by the environment (TEST_DATABASE_URL, DATABASE_URL), else
    a private one started from the binaries in TEST_PG_BIN (how CI runs the suite on other majors), else an
    embedded one."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    if os.environ.get("TEST_PG_BIN"):
        with LocalServer(Path(os.environ["TEST_PG_BIN"])) as dsn:
            yield dsn
        return
    with tempfile.TemporaryDirectory(prefix="cmd-test-pg-") as directory:
        server = db.start_embedded(Path(directory))
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def admin_execute(admin_url: str, statement: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture(scope="session")
def template_database(pg_admin_url):
    name = f"cmd_template_{uuid.uuid4().hex[:10]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}"')
    db.apply_migrations(with_database(pg_admin_url, name))
    yield name
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_admin_url, template_database):
    """A fresh, migrated database for one test."""
    name = f"cmd_test_{uuid.uuid4().hex[:12]}"
    admin_execute(pg_admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield with_database(pg_admin_url, name)
    admin_execute(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Settings for in-process tests: no start-up run, no rate limit, fast retries, the sample CSV."""
    return Settings(
        database_url=database_url,
        etl_on_startup=False,
        etl_interval_seconds=3600,
        api_rate_limit=0,
        log_format="text",
        csv_path=PROJECT_ROOT / "data" / "sample_quotes.csv",
        coinpaprika_base_url="http://127.0.0.1:9/v1",
        coingecko_base_url="http://127.0.0.1:9/api/v3",
        http_max_retries=2,
        http_total_timeout_seconds=5,
        http_retry_after_cap_seconds=5,
        coinpaprika_requests_per_second=1000,
        coingecko_requests_per_minute=60000,
        db_timeout_seconds=2,
    )


def replace(settings: Settings, **changes) -> Settings:
    return dataclasses.replace(settings, **changes)


@pytest.fixture
async def pool(settings):
    connection_pool = await db.create_pool(settings.database_url, settings)
    yield connection_pool
    await connection_pool.close()


@pytest.fixture
async def make_client(aiohttp_client):
    """Starts the whole app (pool, listener, scheduler) on the given settings and returns a test client."""
    from service.app import create_app

    async def make(app_settings: Settings):
        return await aiohttp_client(create_app(app_settings))

    return make


@pytest.fixture
async def client(make_client, settings):
    return await make_client(settings)
