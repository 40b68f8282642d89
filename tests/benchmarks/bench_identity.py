"""Issue 20: cross-source identity. Precision and recall of CoinGecko-CoinPaprika links on recorded payloads, and
what the link pass adds to an API source's run of 5,000 coins (target: at most 5 %).

    .venv/bin/python tests/benchmarks/bench_identity.py [--coins 5000] [--repeat 3]

1. The rule on the real recordings (tests/fixtures/recorded: CoinGecko's top 100 of 2023-01-08, CoinPaprika's
   2,620 tickers of 2019-10-04) against the hand-checked truth (tests/identity/truth_gecko_top100_paprika_2019.csv).
2. In this process, on fresh databases of an embedded PostgreSQL, with the fake upstreams serving generated
   payloads (tests/fakes/upstream.py's CoinPaprika tickers; the CoinGecko coins are the same coins, their figures
   within 0.5 %, as real twins are): a CoinGecko run loads `--coins` coins, then the measured CoinPaprika runs of
   `--coins` tickers: a first run (every coin new: every symbol checked), a second one an hour later with every
   price moved by up to 3 % either way, and a third one a day later with every price moved by -8 % .. +8 % from the
   first (the SQL check looks again at every symbol a run wrote, from the coins' latest figures; none goes to
   Python: the twins' figures stay within tolerance).
   Each repeat runs them with the link pass and without it (patched out), alternating: the runs' own durations
   (etl_runs) side by side, and the figure: the pass timed inside each run, as a share of the rest of that run
   (a difference of two runs' totals drowns in a busy machine's noise). In these payloads every twin has one
   name in both sources and figures that agree, as most real twins do: the pass confirms them in SQL
   (sql/confirm_asset_links.sql). A full pass in Python over every coin (`relink(everything=True)`) is timed alone.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from datetime import timedelta

import common
from common import ROOT, Row

from service import db
from service.etl import pipeline
from service.etl.identity.links import relink
from service.etl.scheduler import Scheduler
from service.etl.wiring import enabled_sources
from service.etl.identity.clusters import group
from service.etl.identity.curated import Curated, load
from service.settings import KNOWN_SOURCES, Settings
from tests.fakes.upstream import DEFAULT_WHEN, FakeCoinGecko, FakeCoinPaprika, make_paprika_tickers, start
from tests.identity.generated import moved, twins
from tests.identity.recorded import gecko_coins, measure, measure_match_key, paprika_coins

TARGET_SHARE = 0.05


def recorded_rows() -> list[Row]:
    coins = gecko_coins() + paprika_coins()
    started = time.perf_counter()
    result = measure(coins)
    seconds = time.perf_counter() - started
    before = measure_match_key(coins)
    example = load(ROOT / "tests" / "identity" / "asset_links.example", KNOWN_SOURCES)
    curated = measure(coins, example)
    print(f"  missed twins: {result['missed']}", file=sys.stderr)
    by_ids = sum(1 for members in group(coins, Curated()).assets for m in members
                 if m.coin.source == "coingecko" and "ids agree" in m.reason)
    return [
        Row("recorded: precision of CoinGecko-CoinPaprika links (the rule alone, no curated file)",
            f"{result['precision']:.3f}",
            f"{result['right']} right of {result['links']}", "", "1.000 (0 wrong)", not result["wrong"]),
        Row("recorded: recall of same-symbol twins (the rule alone)", f"{result['recall']:.3f}",
            f"{result['twins'] - len(result['missed'])} of {result['twins']}", "", ">= 0.97",
            result["recall"] >= 0.97),
        Row("recorded: twins linked because their source ids agree (names silent or different)", str(by_ids),
            "", "", "", None),
        Row("recorded: the match key it replaces: recall / wrong links", f"{before['recall']:.3f}",
            f"{len(before['wrong'])} wrong", "", "", None),
        Row("recorded: assets holding two coins of one source", str(result["doubled_assets"]), "", "", "0",
            result["doubled_assets"] == 0),
        Row("recorded: twins whose symbol changed, linked (curation only)",
            f"{result['renamed_found']} of {result['renamed']}", "", "", "", None),
        Row("recorded: ambiguous pairs offered to operators", str(len(result["candidates"])), "", "", "", None),
        Row("recorded: recall with tests/identity/asset_links.example curated "
            f"({len(example.same) + len(example.apart)} lines)",
            f"{curated['recall']:.3f}", f"{len(curated['wrong'])} wrong", "", "", None),
        Row("recorded: one link pass over 2,720 coins", f"{seconds * 1000:.0f} ms", "", "", "", None),
    ]


async def one_database(admin_url: str, settings: Settings, coins: int, linking: bool) -> dict:
    original = pipeline.relink
    passes_in_runs: list[float] = []

    async def no_link_pass(connection, run_id=None):
        return None

    async def timed_link_pass(connection, run_id=None):
        started = time.perf_counter()
        try:
            return await original(connection, run_id)
        finally:
            passes_in_runs.append(time.perf_counter() - started)

    with common.fresh_database(admin_url, "bench_ident") as dsn:
        await db.migrate(dsn)
        pool = await db.create_pool(dsn, dataclasses.replace(settings, database_url=dsn))
        try:
            await run(pool, settings, "coingecko")  # the twins, linked in both modes
            await pool.execute("ANALYZE")  # as autovacuum keeps a live database: plans for these sizes
            pipeline.relink = timed_link_pass if linking else no_link_pass
            try:
                first = await run(pool, settings, "coinpaprika")
                settings.paprika.tickers = moved(make_paprika_tickers(coins, when=DEFAULT_WHEN + timedelta(hours=1)))
                second = await run(pool, settings, "coinpaprika")
                settings.paprika.tickers = moved(make_paprika_tickers(coins, when=DEFAULT_WHEN + timedelta(hours=25)),
                                                 percent=8)
                third = await run(pool, settings, "coinpaprika")
            finally:
                pipeline.relink = original
                settings.paprika.tickers = make_paprika_tickers(coins)
            passes = []
            async with pool.acquire() as connection:
                for _ in range(3):
                    started = time.perf_counter()
                    summary = await relink(connection, everything=True)
                    passes.append(time.perf_counter() - started)
        finally:
            await pool.close()
    inside = dict(zip(("first_pass", "second_pass", "third_pass"), passes_in_runs)) if linking else {}
    return {"first": first, "second": second, "third": third, "pass": min(passes), "assets": summary.assets,
            **inside}


async def run(pool, settings, name: str) -> float:
    async with enabled_sources(settings, (name,)) as sources:
        (outcome,) = await Scheduler(pool, sources, interval=3600, on_startup=False).run_all()
    if outcome.status != "success":
        raise RuntimeError(f"{name}: {outcome.error}")
    return await pool.fetchval("SELECT extract(epoch FROM finished_at - started_at)::float8 FROM etl_runs "
                               "WHERE id = $1", outcome.run_id)


async def timing_rows(args) -> list[Row]:
    paprika = FakeCoinPaprika(make_paprika_tickers(args.coins))
    gecko = FakeCoinGecko(twins(paprika.tickers))
    paprika_runner, paprika_url = await start(paprika.make_app())
    gecko_runner, gecko_url = await start(gecko.make_app())
    results = {True: [], False: []}
    try:
        with common.embedded_postgres(args.database_url) as admin_url:
            settings = Settings(
                database_url=admin_url, coinpaprika_base_url=paprika_url, coingecko_base_url=gecko_url,
                coingecko_per_page=250, coingecko_max_pages=max(1, -(-args.coins // 250)),
                coinpaprika_requests_per_second=1000, coingecko_requests_per_minute=600000, log_level="WARNING")
            object.__setattr__(settings, "paprika", paprika)  # a frozen dataclass: the bench's own handle
            for i in range(args.repeat):
                for linking in ((True, False) if i % 2 == 0 else (False, True)):
                    r = await one_database(admin_url, settings, args.coins, linking)
                    results[linking].append(r)
                    print(f"  repeat {i + 1} {'with' if linking else 'without'} link pass: first run "
                          f"{r['first']:.2f} s, second {r['second']:.2f} s, third {r['third']:.2f} s, "
                          f"full pass alone {r['pass'] * 1000:.0f} ms",
                          file=sys.stderr)
    finally:
        await paprika_runner.cleanup()
        await gecko_runner.cleanup()

    def m(linking: bool, key: str) -> float:
        return common.median([r[key] for r in results[linking]])

    rows = []
    for key, label in (("first", "first run (5,000 new coins)"), ("second", "second run (an hour later)"),
                       ("third", "third run (a day later, prices ±8 %)")):
        with_pass, without = m(True, key), m(False, key)
        rows.append(Row(f"coinpaprika {label.replace('5,000', f'{args.coins:,}')}, with the link pass",
                        f"{with_pass:.2f} s", f"without {without:.2f} s", f"{with_pass / without:.3f}",
                        "", None))
    for key, label in (("first", "first run"), ("second", "second run"), ("third", "third run")):
        # the pass timed inside the same run: a difference of two runs' totals drowns in a busy machine's noise
        shares = [r[f"{key}_pass"] / (r[key] - r[f"{key}_pass"]) for r in results[True]]
        share = common.median(shares)
        rows.append(Row(f"link pass inside the {label}", f"{m(True, key + '_pass') * 1000:.0f} ms",
                        f"rest of the run {m(True, key) - m(True, key + '_pass'):.2f} s", f"{share:.3f}",
                        f"<= {TARGET_SHARE:.2f}", share <= TARGET_SHARE))
    rows.append(Row(f"a full pass alone, as at start-up ({2 * args.coins:,} coins, {int(m(True, 'assets')):,} "
                    "assets)", f"{m(True, 'pass') * 1000:.0f} ms", "", "", "", None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    print(f"machine: {common.machine()}", file=sys.stderr)
    table = recorded_rows() + asyncio.run(timing_rows(args))
    common.print_table(f"Cross-source identity (median of {args.repeat})", table)
    print(f"machine: {common.machine()}")
    return 0 if all(r.ok is not False for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
