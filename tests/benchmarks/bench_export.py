"""Issue 23: GET /export/history of 1,000,000 rows vs psql's `\\copy (SELECT ...) TO` of the same rows; the service's
peak RSS.

    .venv/bin/python tests/benchmarks/bench_export.py [--rows 1000000] [--repeat 3]

Loads a generated CSV (`--rows` quotes of 200 symbols) into a fresh database with `python -m service etl`, starts
`python -m service`, then alternates, `--repeat` times: the reference, psql (a process, start-up included) running
`\\copy (<the export's own SELECT, parameters written in>) TO '/dev/null' WITH (FORMAT csv, HEADER true)`, and the
service's CSV export of the whole range read by an HTTP client that discards the bytes (request to last byte).
Checked: the export has the header and exactly `--rows` rows. Peak RSS is the service process's VmHWM (its peak
since start, the export included). Also measured once each, for information: NDJSON, and CSV gzipped.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import common
from common import Row

MAX_RATIO = 1.5
MAX_RSS_MB = 150.0


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def export(port: int, query: str, headers: dict | None = None) -> tuple[float, int, int]:
    """(seconds from request to last byte, bytes, newlines) of one GET, its body discarded as it comes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", f"/export/history?{query}", headers=headers or {"Accept-Encoding": "identity"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"export answered {response.status}: {response.read()[:500]!r}")
    size = lines = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
        lines += chunk.count(b"\n")
    took = time.perf_counter() - started
    connection.close()
    return took, size, lines


def copy_statement(start: str, end: str) -> str:
    """The export's CSV SELECT with its parameters written in, on one line (as psql's \\copy wants it)."""
    text = (common.ROOT / "sql" / "select_history_export_csv.sql").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    for parameter, value in (("$1", f"'{start}'"), ("$2", f"'{end}'"), ("$3", "NULL"), ("$4", "NULL")):
        text = text.replace(parameter, value)
    assert "$" not in text, text
    return " ".join(text.split())


def psql_copy(dsn: str, start: str, end: str) -> common.Measured:
    command = f"\\copy ({copy_statement(start, end)}) TO '/dev/null' WITH (FORMAT csv, HEADER true)"
    return common.run_measured([str(common.psql_path()), dsn, "-X", "-v", "ON_ERROR_STOP=1", "-c", command]
                               ).check("psql \\copy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    print(f"machine: {common.machine()}", file=sys.stderr)
    csv_path = common.csv_file(args.rows, symbols=200)
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_export") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-export-") as work:
        load = common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"],
                                   env=common.service_env(dsn, CSV_PATH=str(csv_path)))
        load.check("loading the benchmark data")
        stored = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
        print(f"  loaded {stored:,} rows in {load.wall:.1f} s", file=sys.stderr)
        start = common.fetchval(dsn, "SELECT min(observed_at) FROM quotes_history").isoformat()
        end = common.fetchval(dsn, "SELECT max(observed_at) FROM quotes_history").isoformat()
        query = urllib.parse.urlencode({"from": start, "to": end})
        port = common.free_port()
        log = open(Path(work) / "service.log", "wb")
        service = subprocess.Popen(
            [common.PYTHON, "-m", "service"], cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(port), API_RATE_LIMIT="0",
                                   ETL_ON_STARTUP="false", ETL_SOURCES="csv", CSV_PATH=str(csv_path)))
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                        break
                except OSError:
                    if service.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the service did not start")
                    time.sleep(0.3)
            rss_start = memory_mb(service.pid, "VmRSS")
            references, exports = [], []
            for turn in range(args.repeat):
                reference = psql_copy(dsn, start, end)
                match = re.search(r"COPY (\d+)", reference.stdout)
                if not match or int(match[1]) != stored:
                    raise RuntimeError(f"psql copied {match and match[1]} rows, not {stored}")
                references.append(reference.wall)
                took, size, lines = export(port, query)
                if lines != stored + 1:
                    raise RuntimeError(f"the export has {lines - 1} rows, not {stored}")
                exports.append(took)
                print(f"  turn {turn + 1}: psql {reference.wall:.2f} s, export {took:.2f} s "
                      f"({size / 1e6:.0f} MB)", file=sys.stderr)
            ndjson, ndjson_size, ndjson_lines = export(port, query + "&format=ndjson")
            gzipped, gzip_size, _ = export(port, query, {"Accept-Encoding": "gzip"})
            peak = memory_mb(service.pid, "VmHWM")
        finally:
            common.stop(service)
            log.close()
    ratio = common.median(exports) / common.median(references)
    rows = [
        Row(f"CSV export of {stored:,} rows (s)", f"{common.median(exports):.2f} ({common.spread(exports)})",
            f"{common.median(references):.2f} ({common.spread(references)}) psql \\copy", f"{ratio:.2f}x",
            f"<= {MAX_RATIO:g}x", ratio <= MAX_RATIO),
        Row("rows/s", f"{stored / common.median(exports):,.0f}"),
        Row("CSV bytes", f"{size / 1e6:.0f} MB"),
        Row("service peak RSS (VmHWM, MB)", f"{peak:.0f}", f"{rss_start:.0f} after start-up", "",
            f"<= {MAX_RSS_MB:g} MB", peak <= MAX_RSS_MB),
        Row("NDJSON export (s)", f"{ndjson:.2f}", f"{ndjson_size / 1e6:.0f} MB, {ndjson_lines:,} lines"),
        Row("CSV export, gzip (s)", f"{gzipped:.2f}", f"{gzip_size / 1e6:.0f} MB"),
    ]
    print(f"machine: {common.machine()}")
    common.print_table(f"GET /export/history: {stored:,} rows", rows)
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
