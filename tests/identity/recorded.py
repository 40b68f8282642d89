"""Coins of the recorded upstream responses as the link pass sees them, and the precision/recall measure."""
from __future__ import annotations

import json
from pathlib import Path

from service.etl.identity.clusters import group
from service.etl.identity.curated import Curated
from service.etl.identity.figures import Figures, number, seconds
from service.etl.identity.rule import Coin
from service.etl.records import API_QUOTE_COLUMNS
from service.etl.sources.coingecko import normalize_market
from service.etl.sources.coinpaprika import normalize_ticker

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
GECKO_TOP_100 = RECORDED / "coingecko_coins_markets_2023-01-08_top100.json"
PAPRIKA_2019 = RECORDED / "coinpaprika_tickers_2019-10-04.json"
TRUTH = Path(__file__).resolve().parent / "truth_gecko_top100_paprika_2019.csv"


def coin_of(record: tuple) -> Coin:
    r = dict(zip(API_QUOTE_COLUMNS, record))
    return Coin(r["source"], r["coin_id"], r["symbol"], r["name"], Figures(
        observed_at=seconds(r["observed_at"]), rank=r["rank"], price=number(r["price_usd"]),
        market_cap=number(r["market_cap_usd"]), circulating_supply=number(r["circulating_supply"]),
        total_supply=number(r["total_supply"]), max_supply=number(r["max_supply"]),
        ath_price=number(r["ath_price_usd"]), ath_at=seconds(r["ath_at"])))


def coins(path: Path, normalize) -> list[Coin]:
    out = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        try:
            out.append(coin_of(normalize(item)))
        except ValueError:
            continue  # a reject never reaches the link pass
    return out


def gecko_coins() -> list[Coin]:
    return coins(GECKO_TOP_100, normalize_market)


def paprika_coins() -> list[Coin]:
    return coins(PAPRIKA_2019, normalize_ticker)


def truth() -> dict[str, tuple[str | None, str]]:
    """CoinGecko id -> (CoinPaprika id of the same asset or None, kind), hand-checked. Kinds: twin (same symbol),
    renamed (a twin whose symbol changed: only a curated link can join it), none, unsure (left out)."""
    out = {}
    for line in TRUTH.read_text(encoding="utf-8").splitlines()[1:]:
        gecko, paprika, kind, _why = line.split(",", 3)
        out[gecko] = (paprika or None, kind)
    return out


def measure(all_coins: list[Coin], curated: Curated = Curated()) -> dict:
    """Precision and recall of CoinGecko-CoinPaprika links against the truth, and the assets holding two coins
    of one source."""
    grouping = group(all_coins, curated)
    linked: dict[str, str] = {}
    doubled = 0
    for members in grouping.assets:
        sources = [m.coin.source for m in members]
        doubled += len(sources) != len(set(sources))
        gecko = [m.coin.coin_id for m in members if m.coin.source == "coingecko"]
        paprika = [m.coin.coin_id for m in members if m.coin.source == "coinpaprika"]
        for g in gecko:
            for p in paprika:
                linked[g] = p
    expected = {g: t for g, t in truth().items() if t[1] != "unsure"}
    linked = {g: p for g, p in linked.items() if g in expected}
    right = sum(1 for g, p in linked.items() if expected[g][0] == p)
    wrong = sorted((g, p) for g, p in linked.items() if expected[g][0] != p)
    twins = {g: p for g, (p, kind) in expected.items() if kind == "twin"}
    renamed = {g: p for g, (p, kind) in expected.items() if kind == "renamed"}
    found = sum(1 for g, p in twins.items() if linked.get(g) == p)
    missed = sorted((g, p) for g, p in twins.items() if linked.get(g) != p)
    return {"links": len(linked), "right": right, "wrong": wrong, "missed": missed, "twins": len(twins),
            "renamed": len(renamed), "renamed_found": sum(1 for g, p in renamed.items() if linked.get(g) == p),
            "precision": right / len(linked) if linked else 1.0, "recall": found / len(twins) if twins else 1.0,
            "doubled_assets": doubled, "candidates": grouping.candidates}


def measure_match_key(all_coins: list[Coin]) -> dict:
    """The same measure for the rule before issue 20: same upper-case symbol and same name slug."""
    from service.etl.normalize import match_key

    paprika: dict[str, list[str]] = {}
    for c in all_coins:
        if c.source == "coinpaprika":
            paprika.setdefault(match_key(c.symbol, c.name), []).append(c.coin_id)
    expected = {g: t for g, t in truth().items() if t[1] != "unsure"}
    linked = [(c.coin_id, p) for c in all_coins if c.source == "coingecko" and c.coin_id in expected
              for p in paprika.get(match_key(c.symbol, c.name), [])]
    right = sum(1 for g, p in linked if expected[g][0] == p)
    twins = {g: p for g, (p, kind) in expected.items() if kind == "twin"}
    found = sum(1 for g, p in twins.items() if (g, p) in linked)
    return {"links": len(linked), "right": right, "wrong": sorted(t for t in linked if expected[t[0]][0] != t[1]),
            "recall": found / len(twins), "twins": len(twins)}
