"""Where a CSV ingest's time goes: database time per SQL statement vs Python time in the source, in one process.

    .venv/bin/python tests/benchmarks/profile_csv_stages.py [--rows 1000000] [--batch-bytes 2097152] [--messy]

Runs the service's own pipeline (`service.etl.pipeline.run_source` over `CsvSource`) in this process on a
fresh, migrated database, with the connections wrapped so every awaited database call is timed under the
name of its statement (`sql/<name>.sql`, `copy:<table>` for a COPY into a table, `copy out:<table>` from one),
per connection: `run` (the run's own) and `second` (service/etl/turns.py: the two take turns, one staging batch
N+1 while the other writes batch N). The two overlap, so each connection's share is of the wall time; what a
connection is not waiting on the database is Python or its turn (reading, parsing and hashing the rows; py-spy or
pyinstrument break that down). COMMITs are not calls.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import time
from pathlib import Path

import common
import generate_messy_csv

from service import db
from service.etl import pipeline
from service.etl.sources.csv import CsvSource
from service.settings import Settings
from service.sql import SQL

_NAMES = {text: name for name, text in SQL.items()}


class _TimedConnection:
    """Passes every call through to the asyncpg connection, adding the awaited time to its statement's total."""

    def __init__(self, connection, label: str, totals: collections.Counter, counts: collections.Counter,
                 cpu: collections.Counter):
        self._connection = connection
        self._label = label
        self._totals = totals
        self._counts = counts
        self._cpu = cpu
        self._stat = Path(f"/proc/{connection.get_server_pid()}/stat")

    def _backend_cpu(self) -> float:
        """CPU seconds the server process of this connection has used (a local server only; else 0)."""
        try:
            fields = self._stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __getattr__(self, name):
        attribute = getattr(self._connection, name)
        if name not in ("execute", "fetch", "fetchval", "fetchrow", "copy_records_to_table", "copy_to_table",
                        "copy_from_table"):
            return attribute

        async def timed(first, *args, **kwargs):
            kind = "copy out:" if name == "copy_from_table" else "copy:" if name.startswith("copy_") else ""
            key = (self._label, f"{kind}{first}" if kind else _NAMES.get(first, first[:40]))
            started, cpu = time.perf_counter(), self._backend_cpu()
            try:
                return await attribute(first, *args, **kwargs)
            finally:
                self._totals[key] += time.perf_counter() - started
                self._cpu[key] += self._backend_cpu() - cpu
                self._counts[key] += 1
        return timed


class _TimedPool:
    def __init__(self, pool, totals, counts, cpu):
        self._pool, self._totals, self._counts, self._cpu = pool, totals, counts, cpu

        self._acquired = 0

    async def acquire(self, **options):
        self._acquired += 1
        label = "run" if self._acquired == 1 else "second"
        return _TimedConnection(await self._pool.acquire(**options), label, self._totals, self._counts, self._cpu)

    async def release(self, connection):
        await self._pool.release(connection._connection)


async def run(dsn: str, csv_path: Path, batch_bytes: int) -> None:
    settings = Settings(database_url=dsn, log_format="text", log_level="WARNING")
    await db.migrate(dsn)
    pool = await db.create_pool(dsn, settings)
    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    cpu_used: collections.Counter = collections.Counter()
    try:
        source = CsvSource(csv_path, block_bytes=batch_bytes)
        started, cpu = time.perf_counter(), time.process_time()
        outcome = await pipeline.run_source(_TimedPool(pool, totals, counts, cpu_used), source, trigger="bench")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await pool.close()
    if outcome.status != "success":
        raise RuntimeError(f"run failed: {outcome.error}")
    rows = [common.Row("whole run", f"{wall:.2f} s", f"{outcome.counts.read:,} rows, CPU {cpu:.2f} s", "100 %")]
    for label in ("run", "second"):
        mine = [(key, seconds) for key, seconds in totals.most_common() if key[0] == label]
        database = sum(seconds for _, seconds in mine)
        rows.append(common.Row(f"  connection {label}: database calls", f"{database:.2f} s", "",
                               f"{database / wall:.0%}"))
        rows.append(common.Row("    not in a call (Python, COMMIT, waiting)", f"{wall - database:.2f} s", "",
                               f"{(wall - database) / wall:.0%}"))
        for key, seconds in mine:
            rows.append(common.Row(f"    {key[1]}", f"{seconds:.2f} s",
                                   f"{counts[key]} calls, server CPU {cpu_used[key]:.2f} s", f"{seconds / wall:.0%}"))
    common.print_table(f"CSV ingest by stage ({outcome.counts.read:,} rows)", rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-bytes", type=int, default=1 << 21,
                        help="CsvSource block size (default 2 MiB, the service's)")
    parser.add_argument("--messy", action="store_true", help="the messy file of issue 14 (generate_messy_csv.py)")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    if args.messy:
        path = common.DATA_CACHE / f"messy_{args.rows}r.csv"
        if not path.exists():
            common.DATA_CACHE.mkdir(parents=True, exist_ok=True)
            generate_messy_csv.write_messy(path, args.rows)
    else:
        path = common.csv_file(args.rows, symbols=200, bad_rows=50)
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_stages") as dsn:
        asyncio.run(run(dsn, path, args.batch_bytes))
    print(f"machine: {common.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
