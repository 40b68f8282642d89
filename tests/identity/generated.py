"""Generated payloads where every coin has a twin: CoinGecko's view of the fakes' CoinPaprika tickers."""
from __future__ import annotations

from decimal import Decimal

from tests.fakes.upstream import make_gecko_coins


def twins(tickers: list[dict]) -> list[dict]:
    """CoinGecko's view of the same coins: its own ids and field names, figures within 0.5 % of CoinPaprika's."""
    shaped = make_gecko_coins(len(tickers))
    out = []
    for i, (ticker, coin) in enumerate(zip(tickers, shaped)):
        usd = ticker["quotes"]["USD"]
        nudge = Decimal(1000 + (i * 7919) % 11 - 5) / 1000
        out.append({**coin, "id": f"gecko-{ticker['id']}", "symbol": ticker["symbol"].lower(), "name": ticker["name"],
                    "current_price": +(usd["price"] * nudge), "market_cap": int(usd["market_cap"] * nudge),
                    "circulating_supply": ticker["circulating_supply"], "total_supply": ticker["total_supply"],
                    "max_supply": ticker["max_supply"] or None, "ath": usd["ath_price"] or coin["ath"],
                    "ath_date": usd["ath_date"] or coin["ath_date"], "market_cap_rank": ticker["rank"],
                    "last_updated": ticker["last_updated"]})
    return out


def moved(tickers: list[dict], percent: int = 3) -> list[dict]:
    """Every price moved by a deterministic -percent .. +percent."""
    steps = 20 * percent + 1
    for i, ticker in enumerate(tickers):
        usd = ticker["quotes"]["USD"]
        usd["price"] = +(usd["price"] * Decimal(1000 + (i * 104729) % steps - steps // 2) / 1000)
    return tickers
