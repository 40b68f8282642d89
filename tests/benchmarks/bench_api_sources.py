"""Target 5 of issue 5: normalize and load 10,000 CoinPaprika tickers and 40 CoinGecko pages in < 2 s of CPU.

    .venv/bin/python tests/benchmarks/bench_api_sources.py [--coins 10000] [--pages 40] [--repeat 3]

Serves the payloads from the local fakes (tests/fakes/upstream.py) in this process and runs
`python -m service etl --source coinpaprika --source coingecko` on a fresh database as a child process;
the figure is that child's CPU time (user + system, from wait4), start-up included, next to the CPU time of
a start-up-only run (the CSV source over a header-only file) so the share of the sources shows.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path

import common
from common import Row

from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika, make_gecko_coins, make_paprika_tickers, start

PER_PAGE = 250
TARGET_CPU = 2.0
_SUMMARY = re.compile(r"^(\w+): (\w+) \(run (\d+)\): read=(\d+) inserted=(\d+) updated=(\d+) "
                      r"unchanged=(\d+) rejected=(\d+)", re.M)


def summaries(stderr: str) -> dict[str, dict]:
    keys = ("status", "run", "read", "inserted", "updated", "unchanged", "rejected")
    return {m.group(1): dict(zip(keys, (m.group(2), *map(int, m.groups()[2:])))) for m in _SUMMARY.finditer(stderr)}


def api_run(admin_url: str, paprika_url: str, gecko_url: str, coins: int, pages: int) -> dict:
    with common.fresh_database(admin_url, "bench_src") as dsn:
        env = common.service_env(
            dsn, COINPAPRIKA_BASE_URL=paprika_url, COINGECKO_BASE_URL=gecko_url,
            COINGECKO_MAX_PAGES=str(pages), COINGECKO_PER_PAGE=str(PER_PAGE),
            COINPAPRIKA_REQUESTS_PER_SECOND="1000", COINGECKO_REQUESTS_PER_MINUTE="600000")
        run = common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "coinpaprika",
                                   "--source", "coingecko"], env=env).check("python -m service etl")
        found = summaries(run.stderr)
        for source, expected in (("coinpaprika", coins), ("coingecko", min(coins, pages * PER_PAGE))):
            got = found.get(source, {})
            if got.get("status") != "success" or got.get("inserted") != expected:
                raise RuntimeError(f"{source}: expected {expected} inserted, got {got}:\n{run.stderr[-3000:]}")
        durations = {source: common.fetchval(
            dsn, "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM etl_runs WHERE id = %s",
            found[source]["run"]) for source in found}
    return {"cpu": run.cpu, "user": run.user, "system": run.system, "wall": run.wall, "rss": run.max_rss_mb,
            "paprika_run": durations["coinpaprika"], "gecko_run": durations["coingecko"]}


def startup_run(admin_url: str, workdir: Path) -> common.Measured:
    """The same process with nothing to load: start-up, migrations, one empty CSV run."""
    empty = workdir / "empty.csv"
    empty.write_text(",".join(common.generate_sample.HEADER) + "\n")
    with common.fresh_database(admin_url, "bench_src0") as dsn:
        return common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"],
                                   env=common.service_env(dsn, CSV_PATH=str(empty))).check("start-up run")


async def measure(args) -> list[Row]:
    paprika = FakeCoinPaprika(make_paprika_tickers(args.coins))
    gecko = FakeCoinGecko(make_gecko_coins(min(args.coins, args.pages * PER_PAGE)))
    paprika_runner, paprika_url = await start(paprika.make_app())
    gecko_runner, gecko_url = await start(gecko.make_app())
    runs, bases = [], []
    try:
        with common.embedded_postgres(args.database_url) as admin_url, \
                tempfile.TemporaryDirectory(prefix="cmd-bench-src-") as work:
            for i in range(args.repeat):
                bases.append(await asyncio.to_thread(startup_run, admin_url, Path(work)))
                runs.append(await asyncio.to_thread(api_run, admin_url, paprika_url, gecko_url, args.coins,
                                                    args.pages))
                r = runs[-1]
                print(f"  repeat {i + 1}: CPU {r['cpu']:.2f} s (start-up only {bases[-1].cpu:.2f} s), "
                      f"wall {r['wall']:.2f} s, RSS {r['rss']:.0f} MB", file=sys.stderr)
    finally:
        await paprika_runner.cleanup()
        await gecko_runner.cleanup()
    print(f"  requests served: coinpaprika {len(paprika.requests)}, coingecko {len(gecko.requests)}",
          file=sys.stderr)

    def m(key: str) -> float:
        return common.median([r[key] for r in runs])

    base_cpu = common.median([b.cpu for b in bases])
    base_wall = common.median([b.wall for b in bases])
    cpu = m("cpu")
    return [
        Row(f"5. API sources ({args.coins:,} tickers + {args.pages} pages), process CPU", f"{cpu:.2f} s",
            f"start-up only {base_cpu:.2f} s", f"{cpu / TARGET_CPU:.2f} of target", f"< {TARGET_CPU:g} s",
            cpu < TARGET_CPU),
        Row("   CPU beyond start-up", f"{cpu - base_cpu:.2f} s", "", "", "", None),
        Row("   process wall", f"{m('wall'):.2f} s", f"start-up only {base_wall:.2f} s", "", "", None),
        Row("   coinpaprika run / coingecko run (etl_runs)", f"{m('paprika_run'):.2f} s / {m('gecko_run'):.2f} s",
            "", "", "", None),
        Row("   peak RSS", f"{m('rss'):.0f} MB", "", "", "", None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=10_000, help="CoinPaprika tickers (default 10,000)")
    parser.add_argument("--pages", type=int, default=40, help=f"CoinGecko pages of {PER_PAGE} (default 40)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    print(f"machine: {common.machine()}", file=sys.stderr)
    table = asyncio.run(measure(args))
    common.print_table(f"API sources (median of {args.repeat})", table)
    print(f"machine: {common.machine()}")
    return 0 if all(r.ok is not False for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
