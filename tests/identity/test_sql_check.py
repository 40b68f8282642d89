"""The link pass's SQL check (sql/confirm_asset_links.sql) against its definition, on generated coins that sit on
every edge: the coins it sends to Python are exactly those of a symbol or asset where some PAIR of coins differs in
asset, source, name (case aside) or judgement, or carries figures that could contradict."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from service.sql import SQL

SOURCES = ("coinpaprika", "coingecko", "csv")
BASE = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
RUN = 7  # the run whose coins the pass decides
TWO_DAYS = 172800


def _coins(rng: random.Random) -> list[dict]:
    """Symbols of one to four coins; each field mostly agrees, so that each way of differing decides some symbols
    alone."""
    def pick(*weighted):
        return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]

    coins = []
    for s in range(600):
        symbol, name, asset = f"S{s}", f"Coin {s}", 1000 + s
        for i in range(pick((1, 2), (2, 6), (3, 2), (4, 1))):
            coins.append({
                "source": SOURCES[(s + i) % 3] if pick((True, 12), (False, 1)) else SOURCES[s % 3],
                "coin_id": f"c{s}-{i}", "symbol": symbol,
                "name": pick((name, 30), (name.upper(), 3), (f"Other {s}", 1)),
                "asset_id": pick((asset, 40), (1000 + (s + 1) % 600, 1), (5000 + s * 10 + i, 1)),
                "price": Decimal("3.7") * pick((Decimal(1), 8), (Decimal("1.44"), 2), (Decimal("1.46"), 2)),
                "observed_at": BASE + timedelta(seconds=pick((0, 6), (86400, 1), (TWO_DAYS, 1), (TWO_DAYS + 1, 1),
                                                             (3 * 86400, 1))),
                "max_supply": pick((None, 3), (0, 1), (Decimal(10 ** 6), 6), (Decimal(94 * 10 ** 5), 1),
                                   (Decimal(96 * 10 ** 5), 1)),
                "ath": pick((None, 3), (0, 1), (Decimal(5), 8), (Decimal(14), 1), (Decimal("14.6"), 1)),
                "run_id": pick((RUN, 3), (3, 1)),
            })
            coins[-1]["judged"] = coins[-1]["run_id"] != RUN and rng.random() < 0.03
    return coins


def _apart(a: dict, b: dict) -> bool:
    def ratio_over(x, y, limit):
        return bool(x and y and x > 0 and y > 0 and max(x, y) > limit * min(x, y))

    return (a["asset_id"] != b["asset_id"] or a["source"] == b["source"]
            or a["name"].lower() != b["name"].lower() or a["judged"] or b["judged"]
            or abs((a["observed_at"] - b["observed_at"]).total_seconds()) <= TWO_DAYS
            and ratio_over(a["price"], b["price"], Decimal("1.45"))
            or ratio_over(a["max_supply"], b["max_supply"], Decimal("9.5"))
            or ratio_over(a["ath"], b["ath"], Decimal("2.9")))


def _expected_due(coins: list[dict]) -> set[str]:
    fresh = [c for c in coins if c["run_id"] == RUN and not c["judged"]]
    by_symbol: dict[str, list[dict]] = {}
    by_asset: dict[int, set[str]] = {}
    for c in coins:
        by_symbol.setdefault(c["symbol"], []).append(c)
        by_asset.setdefault(c["asset_id"], set()).add(c["symbol"])
    doubtful = {s for s, group in by_symbol.items()
                if any(_apart(a, b) for i, a in enumerate(group) for b in group[i + 1:])}
    return {c["coin_id"] for c in fresh if c["symbol"] in doubtful or len(by_asset[c["asset_id"]]) > 1}


async def test_the_sql_check_sends_to_python_exactly_the_coins_its_pairwise_definition_names(pool):
    coins = _coins(random.Random(20))
    async with pool.acquire() as connection:
        await connection.executemany(
            "INSERT INTO assets OVERRIDING SYSTEM VALUE VALUES ($1, 'X', 'X', $2) ON CONFLICT DO NOTHING",
            [(a, f"k{a}") for a in sorted({c["asset_id"] for c in coins})])
        await connection.executemany(
            "INSERT INTO asset_sources (source, coin_id, asset_id, judged_at) VALUES ($1, $2, $3, $4)",
            [(c["source"], c["coin_id"], c["asset_id"], BASE if c["judged"] else None) for c in coins])
        await connection.executemany(
            "INSERT INTO quotes_latest (source, coin_id, observed_at, asset_id, symbol, name, price_usd, max_supply, "
            "ath_price_usd, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [(c["source"], c["coin_id"], c["observed_at"], c["asset_id"], c["symbol"], c["name"], c["price"],
              c["max_supply"], c["ath"], c["run_id"]) for c in coins])
        rows = await connection.fetch(SQL.confirm_asset_links, False, RUN, False)
        at_start_up = await connection.fetch(SQL.confirm_asset_links, False, None, True)
    due = {r["coin_id"] for r in rows if r["due"]}
    expected = _expected_due(coins)
    assert due == expected
    assert 100 < len(expected) < len([c for c in coins if c["run_id"] == RUN])  # both outcomes, many times
    assert all(r["due"] for r in rows)  # every latest state names its link's asset: nothing stale
    judged = {c["coin_id"] for c in coins if c["judged"]}
    assert judged and judged <= {r["coin_id"] for r in at_start_up if r["due"]}  # a changed rule decides them again
