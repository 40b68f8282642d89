"""Generates the messy benchmark CSV of issue 14 and, beside it, the reference file of its valid rows for `\\copy`.

    python tests/benchmarks/generate_messy_csv.py -o /tmp/messy.csv [--rows 1000000] [--coins 5000] [--seed 0]

Deterministic (seeded). The messy file: rows shuffled across the whole file (every block holds every coin),
half the times `YYYY-MM-DD HH:MM:SS` without a zone and half `YYYY-MM-DDTHH:MM:SSZ`, symbols in random case,
columns in an odd order and case plus an extra column, 10 % empty market caps, 1 % of prices with 18+
significant digits, BAD_ROWS bad rows and DUPLICATE_ROWS exact duplicates of valid rows. The reference file
(`<name>.valid.csv`) holds the same valid rows in the same order, each once, in the benchmark's reference-table
column order.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD_ROWS = 50
DUPLICATE_ROWS = 50
# odd order and case, with a column the service ignores (and reports)
HEADER = ["Last_Updated", "PRICE_USD", "Symbol", "Notes", "Name", "Market_Cap_USD", "volume_24h_usd",
          "Percent_Change_24H", "RANK"]
REFERENCE_HEADER = ["symbol", "name", "price_usd", "market_cap_usd", "volume_24h_usd", "percent_change_24h",
                    "rank", "last_updated"]


def _sample_generator():
    spec = importlib.util.spec_from_file_location("generate_sample", ROOT / "data" / "generate_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messy(row: list[str], rng: random.Random) -> dict[str, str]:
    symbol, name, price, cap, volume, change, rank, stamp = row
    symbol = "".join(c.lower() if rng.random() < 0.5 else c for c in symbol)
    if rng.random() < 0.5:  # '2026-11-25T00:00:00Z' -> '2026-11-25 00:00:00' (no zone: UTC)
        stamp = stamp[:10] + " " + stamp[11:19]
    if rng.random() < 0.10:
        cap = ""
    if rng.random() < 0.01:
        # more digits than a float holds: 18 significant ones at least, exact all the way through
        price += "".join(rng.choice("123456789") for _ in range(19))
    return {"symbol": symbol, "name": name, "price_usd": price, "market_cap_usd": cap, "volume_24h_usd": volume,
            "percent_change_24h": change, "rank": rank, "last_updated": stamp}


def _broken(good: dict[str, str], kind: int) -> dict[str, str] | list[str]:
    bad = dict(good)
    if kind % 5 == 0:
        bad["price_usd"] = "n/a"
    elif kind % 5 == 1:
        bad["last_updated"] = "2026-13-45 25:00:00"
    elif kind % 5 == 2:
        bad["symbol"] = ""
    elif kind % 5 == 3:
        bad["price_usd"] = "-" + bad["price_usd"]
    else:
        return [good["last_updated"], good["price_usd"]]  # a short row
    return bad


def write_messy(path: Path, rows: int = 1_000_000, coins: int = 5000, seed: int = 0) -> dict[str, int]:
    """Writes the messy file and its `.valid.csv` reference; returns the counts a correct ingest reports."""
    sample = _sample_generator()
    rng = random.Random(seed)
    start = sample.END - (-(-rows // coins) - 1) * sample.HOUR
    good = [_messy(r, rng) for r in sample._hourly(rows, sample._coins(coins), rng, start)]
    lines: list[dict[str, str] | list[str]] = list(good)
    lines += [rng.choice(good) for _ in range(DUPLICATE_ROWS)]
    lines += [_broken(rng.choice(good), kind) for kind in range(BAD_ROWS)]
    rng.shuffle(lines)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for line in lines:
            if isinstance(line, list):
                writer.writerow(line)
            else:
                writer.writerow([line.get(h.lower(), "see ticket 42" if h == "Notes" else "") for h in HEADER])
    valid = {id(line) for line in good}
    with open(reference_path(path), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REFERENCE_HEADER)
        for line in lines:  # in the messy file's order, each valid row once
            if id(line) in valid:
                valid.discard(id(line))
                writer.writerow([line[h] for h in REFERENCE_HEADER])
    return {"valid": len(good), "duplicates": DUPLICATE_ROWS, "bad": BAD_ROWS}


def reference_path(path: Path) -> Path:
    return path.with_suffix(".valid.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--coins", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(write_messy(args.output, args.rows, args.coins, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
