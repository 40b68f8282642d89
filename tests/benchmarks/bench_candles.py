"""GET /candles beside GET /history: a year of hourly history for 1,000 coins, 1d candles of one coin.

    .venv/bin/python tests/benchmarks/bench_candles.py [--coins 1000] [--days 365] [--connections 32]
                                                       [--duration 10] [--repeat 3]

Fills a fresh database by SQL (the pipeline would take minutes for 8.76 million rows and is measured by
bench_csv_ingest.py), starts `python -m service` on it and measures, for each route, with bench_api.py's load
generators: (1) req/s and p99 of the same URL, which after the first request is a response-cache hit, as for
/history; (2) the latency of answers computed afresh, each request with another `to` (a miss of the cache, so
PostgreSQL computes it), sequentially: p50 / p99. /history is measured the same way beside it, and a static
aiohttp app answering /candles' bytes from memory is the reference for (1).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_api
import common
from common import Row

START = "2025-01-01T00:00:00Z"


def fill(dsn: str, coins: int, days: int) -> None:
    """`coins` CSV coins observed every hour for `days`, prices wandering with many digits; one run row."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as db:
        run_id = db.execute("INSERT INTO etl_runs (source, status, finished_at) "
                            "VALUES ('csv', 'success', now()) RETURNING id").fetchone()[0]
        db.execute("INSERT INTO assets (symbol, name, match_key) "
                   "SELECT 'C' || i, 'Coin ' || i, 'C' || i || ':coin-' || i FROM generate_series(1, %s) AS i",
                   (coins,))
        db.execute("INSERT INTO asset_sources (source, coin_id, asset_id) "
                   "SELECT 'csv', lower(symbol) || '-coin-' || substr(symbol, 2), id FROM assets")
        db.execute("INSERT INTO history_symbols (symbol, listing_id) "
                   "SELECT a.symbol, m.id FROM asset_sources m JOIN assets a ON a.id = m.asset_id")
        if db.execute("SELECT to_regproc('ensure_history_partitions') IS NOT NULL").fetchone()[0]:
            # the history is partitioned by month: make the year's months first
            db.execute("SELECT ensure_history_partitions(ARRAY(SELECT generate_series(%s::timestamptz, "
                       "%s::timestamptz + make_interval(days => %s), interval '1 month')))", (START, START, days))
        db.execute("""
            INSERT INTO quotes_history (listing_id, source, coin_id, observed_at, asset_id, symbol, name,
                                        price_usd, run_id)
            SELECT m.id, 'csv', m.coin_id, t, a.id, a.symbol, a.name,
                   round((100 + 50 * sin(extract(epoch FROM t) / 86400 + a.id) + a.id)::numeric, 12), %s
            FROM asset_sources m JOIN assets a ON a.id = m.asset_id
            CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz + make_interval(days => %s)
                                       - interval '1 hour', interval '1 hour') AS t""",
                   (run_id, START, START, days))
        db.execute("ANALYZE")


def timed_misses(url: str, count: int) -> list[float]:
    """Latencies (ms) of `count` sequential requests, each with a different `to`, so none is a cache hit."""
    latencies = []
    for i in range(count):
        started = time.perf_counter()
        status, body = bench_api.http_get(f"{url}&to=2026-06-01T00:00:{i % 60:02d}.{i:06d}Z")
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
    return sorted(latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--misses", type=int, default=200, help="uncached requests per route (default 200)")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    generate = bench_api.run_wrk if bench_api.shutil.which("wrk") else bench_api.run_python_load
    print(f"machine: {common.machine()}", file=sys.stderr)
    symbol = f"C{args.coins // 2}"
    routes = {"candles": f"/candles?symbol={symbol}&interval=1d&limit=1000",
              "history": f"/history?symbol={symbol}&limit=200"}
    table: list[Row] = []
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_candles") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-candles-") as work:
        workdir = Path(work)
        common.run_measured([common.PYTHON, "-m", "service", "migrate"], env=common.service_env(dsn)).check("migrate")
        began = time.perf_counter()
        fill(dsn, args.coins, args.days)
        rows = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
        print(f"  filled {rows:,} history rows in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        port, static_port = common.free_port(), common.free_port()
        log = open(workdir / "service.log", "wb")
        service = subprocess.Popen(
            [common.PYTHON, "-m", "service"], cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(port), API_RATE_LIMIT="0",
                                   ETL_ON_STARTUP="false", ETL_SOURCES="csv"))
        static = None
        try:
            url = f"http://127.0.0.1:{port}"
            bench_api.wait_until_up(f"{url}/health", service)
            status, body = bench_api.http_get(url + routes["candles"])
            candles = json.loads(body)["data"]
            print(f"  {routes['candles']}: {len(candles)} candles of {candles[0]['observations']} observations",
                  file=sys.stderr)
            (workdir / "candles.json").write_bytes(body)
            (workdir / "spec.json").write_text(json.dumps({routes["candles"]: str(workdir / "candles.json")}))
            static = subprocess.Popen([common.PYTHON, bench_api.__file__, "--_static", str(workdir / "spec.json"),
                                       str(static_port)], cwd=common.ROOT)
            bench_api.wait_until_up(f"http://127.0.0.1:{static_port}/", static)
            misses = {name: timed_misses(url + path_qs, args.misses) for name, path_qs in routes.items()}
            targets = {"candles": url + routes["candles"], "history": url + routes["history"],
                       "static": f"http://127.0.0.1:{static_port}" + routes["candles"]}
            results: dict[str, list[dict]] = {name: [] for name in targets}
            for target in targets.values():
                generate(target, args.connections, 2, 2)  # warm-up
            for i in range(args.repeat):
                for name, target in targets.items():
                    results[name].append(generate(target, args.connections, args.duration, 2))
                print(f"  repeat {i + 1}: " + ", ".join(f"{n} {r[-1]['rps']:,.0f} req/s" for n, r in results.items()),
                      file=sys.stderr)
        finally:
            common.stop(service)
            log.close()
            if static is not None:
                common.stop(static)

    def med(name: str, key: str) -> float:
        return common.median([r[key] for r in results[name]])

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))]

    table += [
        Row(f"GET {routes['candles']} req/s (cached)", f"{med('candles', 'rps'):,.0f}",
            f"/history {med('history', 'rps'):,.0f}; static {med('static', 'rps'):,.0f}",
            f"{med('candles', 'rps') / med('history', 'rps'):.2f} of /history"),
        Row("   p99 (cached)", f"{med('candles', 'p99_ms'):.1f} ms",
            f"/history {med('history', 'p99_ms'):.1f} ms; static {med('static', 'p99_ms'):.1f} ms"),
        Row("   computed afresh, sequential: p50 / p99", f"{pct(misses['candles'], .5):.1f} / "
            f"{pct(misses['candles'], .99):.1f} ms",
            f"/history {pct(misses['history'], .5):.1f} / {pct(misses['history'], .99):.1f} ms"),
        Row("   errors (all runs)", str(sum(r["non_2xx"] + r["errors"] for rs in results.values() for r in rs))),
    ]
    common.print_table(f"Candles: {args.coins:,} coins x {args.days} days hourly ({rows:,} rows), 1d candles of "
                       f"one coin; median of {args.repeat} x {args.duration:g} s, {args.connections} connections",
                       table)
    print(f"machine: {common.machine()}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
