"""Scale figures (issue 13): ingest and /history p99 as history grows, a standby's share of reads, a retention drop.

    .venv/bin/python tests/benchmarks/bench_scale.py [--sizes 1000000,20000000] [--coins 1000] [--duration 10]

On a fresh database of the embedded PostgreSQL (or --database-url), for each history size in turn (the history
grows backwards in time, hourly observations of --coins coins, so the table holds many monthly partitions):
  * ingest: `python -m service etl --source csv` over --ingest-hours new hours of every coin; the cost per row is
    the run's own duration (etl_runs) / rows inserted;
  * /history p99 and req/s: wrk with a Lua script asking a random coin's page of 200 from a random hour, so the
    response cache never answers for the database;
After the first size, the same /data and /history load against the service reading the primary alone, then with
one hot standby (pg_basebackup -R, same machine) in DATABASE_READ_URLS, with the standby's share of the reads
(db_reads_total). Last, HISTORY_RETENTION_DAYS: the wall time of dropping every month older than
--retention-days (service.partitions.drop_expired), and what it removed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import common
from common import Row, stop

from bench_api import wait_until_up

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)  # the newest hour of the generated history
LUA = """
math.randomseed(os.time())
request = function()
  local coin = math.random(0, %(coins)d - 1)
  local hour = math.random(0, %(hours)d - 1)
  local t = %(t0)d - hour * 3600
  return wrk.format("GET", "/history?symbol=S" .. coin .. "&limit=200&from=" .. os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", t))
end
"""


def csv_rows(coins: int, hours: range) -> str:
    header = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
    return header + "".join(
        f"S{c},Coin {c},{1 + c / 100 + h / 1e4:.6f},{1000 + c},{10 + c},0.5,{c + 1},"
        f"{(T0 + timedelta(hours=h)).strftime('%Y-%m-%dT%H:%M:%SZ')}\n" for h in hours for c in range(coins))


def run_etl(dsn: str, path: Path) -> dict:
    run = common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"],
                              env=common.service_env(dsn, CSV_PATH=str(path)))
    run.check("the CSV ingest")
    row = common.fetchval(dsn, "SELECT json_build_object('inserted', rows_inserted, 'seconds', "
                               "extract(epoch FROM finished_at - started_at)) FROM etl_runs ORDER BY id DESC LIMIT 1")
    return {"wall": run.wall, **(row if isinstance(row, dict) else json.loads(row))}


def grow_history(dsn: str, coins: int, hours_from: int, hours_to: int) -> float:
    """Adds observations for hours T0 - hours_to < t <= T0 - hours_from (all older than the latest state, as a
    backfill would), a month at a time; returns the seconds it took."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SELECT ensure_history_partitions(ARRAY(SELECT %s::timestamptz - make_interval(hours => h)"
                           " FROM generate_series(%s, %s, 24 * 7) AS h))", (T0, hours_from, hours_to))
        step = 24 * 30
        for start in range(hours_from, hours_to, step):
            end = min(start + step, hours_to)
            connection.execute("""
                INSERT INTO quotes_history (listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank,
                                            price_usd, market_cap_usd, volume_24h_usd, percent_change_24h, run_id)
                SELECT m.id, m.source, m.coin_id, %s::timestamptz - make_interval(hours => h), m.asset_id,
                       l.symbol, l.name, l.rank, l.price_usd - h / 1e6, l.market_cap_usd, l.volume_24h_usd, 0.5,
                       l.run_id
                FROM generate_series(%s, %s - 1) AS h
                CROSS JOIN asset_sources AS m
                JOIN quotes_latest AS l ON l.source = m.source AND l.coin_id = m.coin_id
                ON CONFLICT DO NOTHING""", (T0, start, end))
            print(f"    history back to {T0 - timedelta(hours=end):%Y-%m-%d}", file=sys.stderr)
        connection.execute("ANALYZE quotes_history")
    return time.perf_counter() - started


def run_wrk(url: str, duration: float, connections: int, script: Path | None = None) -> dict:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    if script is not None:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)).groups()
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p99_ms": float(value) * units[unit],
            "bad": int(bad.group(1)) if bad else 0}


def reads_by_server(url: str) -> dict[str, float]:
    import urllib.request

    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'^db_reads_total\{server="([^"]+)"\} (\S+)', text, re.M)}


def fallbacks_by_reason(url: str) -> dict[str, float]:
    import urllib.request

    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^db_replica_fallbacks_total\{replica="[^"]+",reason="([^"]+)"\} (\S+)', text, re.M)}


class Service:
    def __init__(self, dsn: str, workdir: Path, **env: str):
        self.port = common.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / f"service-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [common.PYTHON, "-m", "service"], cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=self.log,
            env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(self.port), API_RATE_LIMIT="0",
                                   ETL_ON_STARTUP="false", ETL_SOURCES="csv", **env))

    def __enter__(self) -> Service:
        wait_until_up(f"{self.url}/health", self.process)
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)
        self.log.close()


def measure_size(dsn: str, workdir: Path, args, rows: int, ingest_from: int, table: list[Row]) -> None:
    path = workdir / f"ingest-{ingest_from}.csv"
    path.write_text(csv_rows(args.coins, range(ingest_from, ingest_from + args.ingest_hours)))
    run = run_etl(dsn, path)
    per_row_us = run["seconds"] / run["inserted"] * 1e6
    table.append(Row(f"ingest into {rows:,} history rows", f"{per_row_us:.1f} µs/row",
                     f"{run['inserted']:,} rows in {run['seconds']:.1f} s (process {run['wall']:.1f} s)"))
    script = workdir / "history.lua"
    script.write_text(LUA % {"coins": args.coins, "hours": min(rows // args.coins, 24 * 365 * 5),
                             "t0": int(T0.timestamp())})
    with Service(dsn, workdir) as service:
        run_wrk(service.url + "/history", 2, args.connections, script)
        results = [run_wrk(service.url + "/history", args.duration, args.connections, script)
                   for _ in range(args.repeat)]
    p99 = common.median([r["p99_ms"] for r in results])
    rps = common.median([r["rps"] for r in results])
    table.append(Row(f"/history p99 at {rows:,} rows (random coin and hour)", f"{p99:.1f} ms",
                     f"{rps:,.0f} req/s", "", "", None))


def measure_standby(admin_url: str, dsn: str, workdir: Path, args, table: list[Row]) -> None:
    from tests.scale.standby import Standby, find_bin_dir, server_major

    bin_dir = find_bin_dir(server_major(admin_url))
    if bin_dir is None:
        table.append(Row("primary + standby", "skipped: no pg_basebackup of the server's major"))
        return
    standby = Standby(admin_url, bin_dir)
    try:
        standby.create()
        standby.start()
        table.append(Row("pg_basebackup -R of the whole server", f"{standby.backup_seconds:.1f} s"))
        script = workdir / "history.lua"
        routes = [("/data?limit=50", None), ("/history (random coin and hour)", script)]
        name = urlsplit(dsn).path.lstrip("/")
        for label, env in (("primary alone", {}), ("primary + 1 standby",
                                                   {"DATABASE_READ_URLS": standby.url(name)})):
            with Service(dsn, workdir, **env) as service:
                time.sleep(2)  # the standby's first look
                for route, lua in routes:
                    path = route.split(" ")[0]
                    run_wrk(service.url + path, 2, args.connections, lua)
                    before = reads_by_server(service.url)
                    results = [run_wrk(service.url + path, args.duration, args.connections, lua)
                               for _ in range(args.repeat)]
                    after = reads_by_server(service.url)
                    reads = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                    print(f"    reads by server during {route}, {label}: {reads}", file=sys.stderr)
                    total = sum(reads.values())
                    share = f"standby share {1 - reads.get('primary', 0) / total:.0%}" if total else \
                        "no database reads (snapshot)"
                    fallbacks = fallbacks_by_reason(service.url)
                    if fallbacks:
                        print(f"    standby fallbacks so far: {fallbacks}", file=sys.stderr)
                    rps = common.median([r["rps"] for r in results])
                    bad = sum(r["bad"] for r in results)
                    table.append(Row(f"GET {route}, {label}", f"{rps:,.0f} req/s",
                                     f"p99 {common.median([r['p99_ms'] for r in results]):.1f} ms",
                                     share if env else "", "non-2xx 0", bad == 0))
    finally:
        standby.close()


def measure_migration(dsn: str, rows: int, table: list[Row]) -> None:
    """Migration 0006's cost on a database holding `rows` of history: its rollback (back to one plain table) and
    its application (each row copied into its month), both in one transaction each."""
    from yoyo import get_backend, read_migrations

    from service import db

    backend = get_backend(db.yoyo_url(dsn))
    try:
        migrations = read_migrations(str(db.MIGRATIONS_DIR))
        mine = [m for m in migrations if m.id.startswith("0006")]
        with backend.lock():
            started = time.perf_counter()
            backend.rollback_migrations(mine)
            back = time.perf_counter() - started
            started = time.perf_counter()
            backend.apply_migrations(backend.to_apply(migrations))  # 0006 alone is pending
            forth = time.perf_counter() - started
    finally:
        backend.connection.close()
    table.append(Row(f"migration 0006 on {rows:,} history rows", f"{forth:.1f} s to partition",
                     f"rollback {back:.1f} s", f"{forth / rows * 1e6:.1f} µs/row"))


async def measure_retention(dsn: str, days: int, table: list[Row]) -> None:
    import asyncpg

    from service import partitions

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        before = await pool.fetchval("SELECT count(*) FROM quotes_history")
        started = time.perf_counter()
        dropped = await partitions.drop_expired(pool, days)
        seconds = time.perf_counter() - started
        after = await pool.fetchval("SELECT count(*) FROM quotes_history")
    finally:
        await pool.close()
    table.append(Row(f"retention {days} days: drop {len(dropped)} monthly partitions",
                     f"{seconds:.2f} s", f"{before - after:,} rows removed, {after:,} kept",
                     f"{seconds / max(1, len(dropped)) * 1000:.0f} ms/partition"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,20000000", help="history rows to measure at, ascending")
    parser.add_argument("--coins", type=int, default=1000)
    parser.add_argument("--ingest-hours", type=int, default=50, help="new hours per ingest (x coins rows)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--retention-days", type=int, default=365)
    parser.add_argument("--skip-standby", action="store_true")
    parser.add_argument("--migration", action="store_true",
                        help="also time migration 0006 (rollback and apply) at the first size")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {common.machine()}", file=sys.stderr)
    table: list[Row] = []
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_scale") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-scale-") as work:
        workdir = Path(work)
        seed = workdir / "seed.csv"
        seed.write_text(csv_rows(args.coins, range(0, 1)))
        run_etl(dsn, seed)  # migrations, the coins and their latest state at T0
        have, ingest_from = args.coins, 1
        for size in sizes:
            hours = size // args.coins
            print(f"  growing history to {size:,} rows", file=sys.stderr)
            seconds = grow_history(dsn, args.coins, have // args.coins, hours)
            have = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
            months = common.fetchval(
                dsn, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'quotes_history'::regclass")
            table.append(Row(f"history filled to {have:,} rows", f"{months} partitions", f"{seconds:.0f} s to add"))
            measure_size(dsn, workdir, args, have, ingest_from, table)
            ingest_from += args.ingest_hours
            have = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
            if size == sizes[0] and not args.skip_standby:
                measure_standby(admin_url, dsn, workdir, args, table)
            if size == sizes[0] and args.migration:
                measure_migration(dsn, have, table)
        asyncio.run(measure_retention(dsn, args.retention_days, table))
    common.print_table(f"Scale (median of {args.repeat} x {args.duration:g} s, wrk -t2 -c{args.connections})", table)
    print(f"machine: {common.machine()}")
    return 1 if any(r.ok is False for r in table) else 0


if __name__ == "__main__":
    sys.exit(main())
