"""Issue 23: what the change feed's triggers (migration 0012) cost the ETL: CSV ingest with them vs without.

    .venv/bin/python tests/benchmarks/bench_change_feed_cost.py [--rows 1000000] [--coins 5000] [--repeat 3]

Each repeat loads the same file twice into fresh databases with `python -m service etl --source csv` (start-up
included), alternating: once as shipped, once with the two triggers on quotes_latest disabled (the reference).
The file is the messy benchmark's (generate_messy_csv.py: rows shuffled across the whole file, so nearly every
batch moves nearly every coin's latest state forward: the feed's worst case); `--tidy` uses the time-ordered
sample generator instead. Printed: ingest time with and without, the ratio, and the change rows written.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import common
from common import Row

TRIGGERS = ("quotes_latest_inserted_feed", "quotes_latest_updated_feed")


def messy_file(rows: int, coins: int):
    path = common.DATA_CACHE / f"messy_{rows}r_{coins}c.csv"
    if not path.exists():
        common.DATA_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([common.PYTHON, str(common.ROOT / "tests" / "benchmarks" / "generate_messy_csv.py"),
                        "-o", str(path), "--rows", str(rows), "--coins", str(coins)], check=True)
    return path


def ingest(admin_url: str, csv_path, *, triggers: bool) -> tuple[float, int]:
    with common.fresh_database(admin_url, "bench_feed") as dsn:
        env = common.service_env(dsn, CSV_PATH=str(csv_path))
        common.run_measured([common.PYTHON, "-m", "service", "migrate"], env=env).check("migrate")
        if not triggers:
            common.admin_execute(dsn, *(f"ALTER TABLE quotes_latest DISABLE TRIGGER {name}" for name in TRIGGERS))
        run = common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"], env=env)
        run.check("the ETL run")
        return run.wall, common.fetchval(dsn, "SELECT count(*) FROM quote_changes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--coins", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tidy", action="store_true", help="the time-ordered sample file (200 symbols)")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    args = parser.parse_args(argv)
    print(f"machine: {common.machine()}", file=sys.stderr)
    csv_path = common.csv_file(args.rows, symbols=200) if args.tidy else messy_file(args.rows, args.coins)
    with_feed, without, changes = [], [], 0
    with common.embedded_postgres(args.database_url) as admin_url:
        for turn in range(args.repeat):
            took, _ = ingest(admin_url, csv_path, triggers=False)
            without.append(took)
            took, changes = ingest(admin_url, csv_path, triggers=True)
            with_feed.append(took)
            print(f"  turn {turn + 1}: without {without[-1]:.1f} s, with {with_feed[-1]:.1f} s", file=sys.stderr)
    ratio = common.median(with_feed) / common.median(without)
    rows = [
        Row("ETL ingest with the change feed (s)", f"{common.median(with_feed):.1f} ({common.spread(with_feed)})",
            f"{common.median(without):.1f} ({common.spread(without)}) without", f"{ratio:.2f}x"),
        Row("change rows written", f"{changes:,}"),
    ]
    print(f"machine: {common.machine()}")
    common.print_table(f"change feed cost: {csv_path.name}", rows)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
