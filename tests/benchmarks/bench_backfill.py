"""Issue 21's figures: backfill speed and memory, and GET /gaps on a large partitioned history.

    .venv/bin/python tests/benchmarks/bench_backfill.py [--coins 100] [--days 90] [--repeat 3]
        [--gaps-rows 20000000] [--gaps-coins 1000] [--gaps-requests 200]

Backfill: a fake CoinGecko served in this process without rate limit (tests/fakes: hourly points a few minutes
past each hour, exponent-notation prices for tiny coins) knows --coins coins; on a fresh database
`python -m service etl --source coingecko` makes them known, then `python -m service backfill --source coingecko
--days 90` (a child process) stores their hourly history: 100 coins x 90 days = 216,000 points. The rate is
points stored / the backfill run's own duration (etl_runs), also shown per process wall time; peak RSS is the
child's (wait4). Reference: >= 50,000 points/s, <= 150 MB.

/gaps: the scale benchmark's history (tests/benchmarks/bench_scale.py: --gaps-coins coins, hourly observations
growing backwards from T0, monthly partitions) grown to --gaps-rows rows, with one hour in 50 deleted from the
coins asked for so there are gaps to find; then GET /gaps?symbol=S<n>&interval=1h&from=T0-90d&to=T0 for random
coins, sequentially against `python -m service` (latency per request, client side, p50/p99). Reference: <= 50 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import common
from common import Row

from tests.fakes.history import gecko_chart_body
from tests.fakes.upstream import FakeCoinGecko, make_gecko_coins, start

TARGET_RATE = 50_000
TARGET_RSS_MB = 150
TARGET_GAPS_MS = 50
_PROGRESS = re.compile(r"coins (\d+)/(\d+) \((\d+) left\), points (\d+)")


def backfill_run(admin_url: str, gecko_url: str, coins: int, days: int) -> dict:
    with common.fresh_database(admin_url, "bench_backfill") as dsn:
        env = common.service_env(dsn, COINGECKO_BASE_URL=gecko_url, ETL_SOURCES="coingecko",
                                 COINGECKO_PER_PAGE="250", COINGECKO_REQUESTS_PER_MINUTE="6000000")
        common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "coingecko"],
                            env=env).check("the live run that makes the coins known")
        run = common.run_measured([common.PYTHON, "-m", "service", "backfill", "--source", "coingecko",
                                   "--days", str(days)], env=env).check("python -m service backfill")
        row = common.fetchval(dsn, "SELECT json_build_object('points', rows_inserted, 'seconds', "
                                   "extract(epoch FROM finished_at - started_at), 'rejected', rows_rejected) "
                                   "FROM etl_runs WHERE trigger = 'backfill' ORDER BY id DESC LIMIT 1")
        history = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
    lines = [m.groups() for m in map(_PROGRESS.search, run.stdout.splitlines()) if m]
    if not lines or lines[-1][2] != "0":
        raise RuntimeError(f"the backfill did not report completing every coin:\n{run.stdout[-2000:]}")
    return {"points": row["points"], "seconds": row["seconds"], "wall": run.wall, "cpu": run.cpu,
            "rss": run.max_rss_mb, "history": history, "progress_lines": len(lines), "rejected": row["rejected"]}


async def serve_fake(port: int, coins: int, days: int) -> None:
    """The fake CoinGecko, in a process of its own: its CPU and memory are not the measured child's parent's (a
    child's ru_maxrss counts what it shared with its parent between fork and exec)."""
    when = (datetime.now(timezone.utc) - timedelta(minutes=2)).replace(microsecond=0)
    gecko = FakeCoinGecko(make_gecko_coins(coins, when=when))
    # each point is computed and formatted once, before: the figure is the service's, not the fake's
    now = datetime.now(timezone.utc)
    for coin in gecko.series.coins:
        gecko_chart_body(gecko.series, coin, int((now - timedelta(days=days)).timestamp()),
                         int(now.timestamp()) + 3600, now + timedelta(hours=1))
    await start(gecko.make_app(), port=port)
    print("ready", flush=True)
    await asyncio.Event().wait()


def measure_backfill(args, admin_url: str) -> list[Row]:
    port = common.free_port()
    fake = subprocess.Popen([common.PYTHON, __file__, "--serve-fake", str(port), "--coins", str(args.coins),
                             "--days", str(args.days)], stdout=subprocess.PIPE, cwd=common.ROOT)
    if fake.stdout.readline().strip() != b"ready":
        raise RuntimeError("the fake CoinGecko did not start")
    url = f"http://127.0.0.1:{port}/api/v3"
    runs = []
    try:
        for i in range(args.repeat):
            runs.append(backfill_run(admin_url, url, args.coins, args.days))
            r = runs[-1]
            print(f"  repeat {i + 1}: {r['points']:,} points in {r['seconds']:.2f} s (run), wall {r['wall']:.2f} s, "
                  f"CPU {r['cpu']:.2f} s, RSS {r['rss']:.0f} MB, {r['progress_lines']} progress lines",
                  file=sys.stderr)
    finally:
        fake.kill()
        fake.wait()

    def m(key: str) -> float:
        return common.median([r[key] for r in runs])

    rate = common.median([r["points"] / r["seconds"] for r in runs])
    wall_rate = common.median([r["points"] / r["wall"] for r in runs])
    return [
        Row(f"backfill {args.coins} coins x {args.days} days hourly, points stored", f"{m('points'):,.0f}",
            f"rejected {m('rejected'):.0f}", "", f"{args.coins * args.days * 24:,}", None),
        Row("   points/s (backfill run, etl_runs)", f"{rate:,.0f}", common.spread(
            [r["points"] / r["seconds"] for r in runs]), f"{rate / TARGET_RATE:.2f} of target",
            f">= {TARGET_RATE:,}", rate >= TARGET_RATE),
        Row("   points/s (whole process wall, start-up and migrations included)", f"{wall_rate:,.0f}", "", "", "",
            None),
        Row("   peak RSS of the backfill process", f"{m('rss'):.0f} MB", "", "", f"<= {TARGET_RSS_MB} MB",
            m("rss") <= TARGET_RSS_MB),
        Row("   process CPU", f"{m('cpu'):.2f} s", "", "", "", None),
    ]


def build_scale_history(dsn: str, workdir: Path, coins: int, rows: int, holed: int) -> Row:
    import bench_scale

    seed = workdir / "seed.csv"
    seed.write_text(bench_scale.csv_rows(coins, range(0, 1)))
    bench_scale.run_etl(dsn, seed)
    seconds = bench_scale.grow_history(dsn, coins, 1, rows // coins)
    # holes to find: in the coins asked for, one hour in 50 over the last 90 days
    common.admin_execute(dsn, f"""
        DELETE FROM quotes_history h USING asset_sources m WHERE m.id = h.listing_id
        AND m.coin_id IN (SELECT 's' || c || '-coin-' || c FROM generate_series(0, {holed} - 1) c)
        AND h.observed_at > '{bench_scale.T0.isoformat()}'::timestamptz - interval '90 days'
        AND extract(epoch FROM h.observed_at)::bigint / 3600 % 50 = 0""", "VACUUM ANALYZE quotes_history")
    have = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
    months = common.fetchval(dsn, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'quotes_history'::regclass")
    return Row(f"/gaps history: {have:,} rows", f"{months} partitions", f"{seconds:.0f} s to build")


async def time_gaps(url: str, coins: int, requests: int, t0: datetime) -> tuple[list[float], int]:
    import aiohttp

    since = (t0 - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = t0.strftime("%Y-%m-%dT%H:%M:%SZ")
    rng = random.Random(21)
    timings, found = [], 0
    async with aiohttp.ClientSession() as session:
        for i in range(requests + 10):
            params = {"symbol": f"S{rng.randrange(coins)}", "interval": "1h", "from": since, "to": until}
            started = time.perf_counter()
            async with session.get(f"{url}/gaps", params=params) as response:
                body = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"/gaps answered {response.status}: {body}")
            if i >= 10:  # the first ones warm the caches
                timings.append((time.perf_counter() - started) * 1000)
                found += len(body["data"])
    return timings, found


def measure_gaps(args, admin_url: str) -> list[Row]:
    import bench_scale
    from bench_api import wait_until_up
    from common import stop

    table = []
    with common.fresh_database(admin_url, "bench_gaps") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-gaps-") as work:
        holed = min(args.gaps_coins, 100)
        table.append(build_scale_history(dsn, Path(work), args.gaps_coins, args.gaps_rows, holed))
        port = common.free_port()
        process = subprocess.Popen([common.PYTHON, "-m", "service"], cwd=common.ROOT, env=common.service_env(
            dsn, PORT=str(port), HOST="127.0.0.1", ETL_ON_STARTUP="false", API_RATE_LIMIT="0", ETL_SOURCES="csv"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/health", process)
            timings, found = asyncio.run(time_gaps(url, holed, args.gaps_requests, bench_scale.T0))
        finally:
            stop(process)
    p50, p99 = statistics.median(timings), statistics.quantiles(timings, n=100)[98]
    table += [
        Row(f"/gaps one coin, 90 days of 1h buckets ({len(timings)} requests, sequential), p50", f"{p50:.1f} ms",
            f"{found / len(timings):.0f} gaps each", "", f"<= {TARGET_GAPS_MS} ms", p50 <= TARGET_GAPS_MS),
        Row("   p99", f"{p99:.1f} ms", "", "", f"<= {TARGET_GAPS_MS} ms", p99 <= TARGET_GAPS_MS),
    ]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gaps-rows", type=int, default=20_000_000, help="history rows for /gaps (0: skip)")
    parser.add_argument("--gaps-coins", type=int, default=1000)
    parser.add_argument("--gaps-requests", type=int, default=200)
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    parser.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake:
        asyncio.run(serve_fake(args.serve_fake, args.coins, args.days))
        return 0
    print(f"machine: {common.machine()}", file=sys.stderr)
    table: list[Row] = []
    with common.embedded_postgres(args.database_url) as admin_url:
        if not args.skip_backfill:
            table += measure_backfill(args, admin_url)
        if args.gaps_rows:
            table += measure_gaps(args, admin_url)
    common.print_table(f"Backfill and gaps (median of {args.repeat})", table)
    print(f"machine: {common.machine()}")
    return 0 if all(r.ok is not False for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
