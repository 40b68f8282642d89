"""/history's query reads about a page of rows in all, by primary key: not a coin's whole history, and not a page
per coin when many coins share the symbol."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from service.sql import SQL
from tests.api.helpers import load_csv

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def test_a_history_page_reads_about_a_page_of_rows(pool, tmp_path):
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    coins = (("BTC", "Bitcoin"), ("ETH", "Ethereum"), ("SOL", "Solana"))
    body = "".join(f"{symbol},{name},{h + 1},,,,,{(start + timedelta(hours=h)).isoformat()}\n"
                   for h in range(3000) for symbol, name in coins)
    await load_csv(pool, tmp_path / "a.csv", body)
    await pool.execute("ANALYZE quotes_history")
    middle = start + timedelta(hours=1500)
    for after in (_EARLIEST, middle):
        plan = json.loads(await pool.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + SQL.select_history_page_json,
            "BTC", None, _EARLIEST, _LATEST, after, "", "", 201))[0]["Plan"]
        assert rows_read(plan) <= 2 * 201 + 2 * 402, plan  # the probe (2 x page) and the page itself


def rows_read(plan: dict) -> int:
    """Rows every scan of quotes_history returned, over all its loops."""
    # quotes_history is partitioned by month (migration 0006): its months are the relations read
    reads = [n for n in _nodes(plan) if n.get("Relation Name", "").startswith("quotes_history")]
    # (an empty month, made ahead, may be planned as a sequential scan: it reads nothing)
    reading = [n for n in reads if n["Actual Rows"] or n.get("Rows Removed by Filter")]
    assert reading and all("Index" in n["Node Type"] or "Bitmap" in n["Node Type"] for n in reading), reading
    return sum(n["Actual Rows"] * n["Actual Loops"] for n in reads)


async def test_many_coins_sharing_a_symbol_cost_a_page_not_a_page_each(pool, tmp_path):
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    coins, hours, page = 150, 40, 101
    body = "".join(f"DUP,Coin number {c},{h + 1},,,,,{(start + timedelta(hours=h)).isoformat()}\n"
                   for h in range(hours) for c in range(coins))
    await load_csv(pool, tmp_path / "a.csv", body)
    await pool.execute("ANALYZE quotes_history")
    plan = json.loads(await pool.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + SQL.select_history_page_json,
        "DUP", None, _EARLIEST, _LATEST, _EARLIEST, "", "", page))[0]["Plan"]
    # the old query read up to a page from every coin: 150 x 101 rows; now about 2 x page + a probe per coin
    assert rows_read(plan) <= 2 * (2 * page + coins), rows_read(plan)
