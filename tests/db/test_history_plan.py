"""/history's query reads a page's worth of each coin's history by primary key, not the coin's whole history."""
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
        reads = [n for n in _nodes(plan) if n.get("Relation Name") == "quotes_history"]
        assert [n["Node Type"] for n in reads] == ["Index Scan"], reads
        assert reads[0]["Actual Rows"] <= 201
