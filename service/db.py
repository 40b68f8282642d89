"""The database: the embedded PostgreSQL when no DATABASE_URL is given, the asyncpg pool and migrations."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from service.jsonutil import dumps
from service.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
_JSONB_VERSION = b"\x01"


@contextlib.asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """Yields the DSN to use, starting (and finally stopping) the embedded PostgreSQL when none is set."""
    if settings.database_url:
        yield settings.database_url
        return
    server = await asyncio.to_thread(start_embedded, settings.embedded_pg_dir)
    try:
        yield server.get_uri()
    finally:
        await asyncio.to_thread(server.cleanup)


def start_embedded(directory: Path):
    directory = directory.expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL", extra={"pgdata": str(directory)})
    with warnings.catch_warnings():
        # pgserver falls back to /tmp for its lock when XDG_RUNTIME_DIR is unset, and says so
        warnings.simplefilter("ignore")
        import pgserver  # imported late: only the embedded mode needs it

        return pgserver.get_server(directory, cleanup_mode="stop")


async def create_pool(dsn: str, settings: Settings) -> asyncpg.Pool:
    """A pool that has proved, with SELECT 1, that the database answers."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        timeout=settings.db_timeout_seconds,
        command_timeout=max(settings.db_timeout_seconds, 60.0),
        max_inactive_connection_lifetime=300,
        server_settings={"application_name": "crypto-market-data", "timezone": "UTC"},
        init=_init_connection,
    )
    try:
        await pool.fetchval("SELECT 1")
    except BaseException:
        await pool.close()
        raise
    return pool


async def _init_connection(connection: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects; strings already holding JSON pass through unchanged. Binary format
    # (a version byte, then the JSON text), because COPY into a jsonb column has no text codec to fall back on.
    await connection.set_type_codec(
        "jsonb", schema="pg_catalog", format="binary", encoder=_encode_jsonb, decoder=_decode_jsonb)


def _encode_jsonb(value) -> bytes:
    return _JSONB_VERSION + (value.encode() if isinstance(value, str) else dumps(value))


def _decode_jsonb(data: bytes):
    return json.loads(data[1:])


def yoyo_url(dsn: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(("postgresql+psycopg", *parts[1:]))


def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Applies pending migrations under yoyo's lock, so replicas starting together apply each once."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(dsn))
    try:
        migrations = read_migrations(str(directory))
        with backend.lock(timeout=120):
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


async def migrate(dsn: str) -> list[str]:
    applied = await asyncio.to_thread(apply_migrations, dsn)
    if applied:
        log.info("applied migrations", extra={"migrations": applied})
    return applied
