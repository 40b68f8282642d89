"""What the CSV tests share: a header, a database snapshot to compare runs by, loading a file."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource

HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
T = "2026-01-01T00:00:00Z"


async def snapshot(pool) -> dict:
    """Every observation stored (all values, as text) and every reject (location, reason, raw), in order."""
    history = await pool.fetch(
        "SELECT (q.source, q.coin_id, q.observed_at, q.symbol, q.name, q.rank, q.price_usd, q.market_cap_usd,"
        " q.volume_24h_usd, q.percent_change_24h, q.circulating_supply, q.total_supply, q.max_supply,"
        " a.match_key)::text AS row"
        " FROM quotes_history q JOIN assets a ON a.id = q.asset_id ORDER BY q.coin_id, q.observed_at")
    rejects = await pool.fetch("SELECT location, reason, raw FROM etl_rejects ORDER BY id")
    latest = await pool.fetch("SELECT coin_id, observed_at, price_usd::text FROM quotes_latest ORDER BY coin_id")
    return {"history": [r["row"] for r in history], "rejects": [tuple(r) for r in rejects],
            "latest": [tuple(r) for r in latest]}


async def wipe(pool) -> None:
    await pool.execute("TRUNCATE quotes_history, history_symbols, quotes_latest, etl_rejects, asset_sources, assets,"
                       " raw_csv_blocks, etl_checkpoints")


async def load(pool, path, **kwargs):
    outcome = await run_source(pool, CsvSource(path, **kwargs))
    assert outcome.status == "success", outcome.error
    return outcome


async def counts(pool):
    return await pool.fetchrow(
        "SELECT (SELECT count(*) FROM quotes_history) AS history, (SELECT count(*) FROM quotes_latest) AS latest,"
        " (SELECT count(*) FROM raw_csv_blocks) AS raw, (SELECT count(*) FROM etl_rejects) AS rejects")


def _benchmark_script(name: str):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# the benchmark's generator of messy files (tests/benchmarks is no package)
messy = _benchmark_script("generate_messy_csv")
