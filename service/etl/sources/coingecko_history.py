"""CoinGecko's history: GET /coins/{id}/market_chart/range?vs_currency=usd&from=&to=, hourly for windows <= 90 days."""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from service.etl import normalize as n
from service.etl.drift import Expectation
from service.etl.records import Reject, SourceError
from service.etl.sources.history import Coin, HistorySource, Point, Tier
from service.etl.sources.history_values import from_milliseconds, number_text, raw_text
from service.jsonutil import loads_digits

NAME = "coingecko"
SERIES = ("prices", "market_caps", "total_volumes")
EXPECTED = Expectation(required=frozenset({"prices"}), known=frozenset(SERIES))
HOUR = 3600


class CoinGeckoHistory(HistorySource):
    """Hourly buckets throughout: CoinGecko answers a range of 2-90 days (at any time back) hourly, so windows
    are at most `window_days` (90 on the demo plan; the plan's reach back is settings' COINGECKO_HISTORY_MAX_DAYS)."""

    name = NAME
    expectation = EXPECTED

    def __init__(self, *args, window_days: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.window = timedelta(days=window_days)

    def tiers(self, start: datetime, end: datetime) -> list[Tier]:
        return [Tier(HOUR, start, end, self.window)]

    async def fetch(self, coin: Coin, tier: Tier, lo: datetime, hi: datetime) -> tuple[Any, bytes]:
        return await self.upstream.get_json_body(f"coins/{quote(coin.coin_id, safe='')}/market_chart/range", {
            "vs_currency": "usd", "from": math.floor(lo.timestamp()), "to": math.ceil(hi.timestamp())},
            loads=loads_digits)

    def read(self, coin: Coin, payload: Any) -> tuple[list[Point], list[Reject], list[Mapping]]:
        if not isinstance(payload, dict):
            raise SourceError(f"{NAME} sent {type(payload).__name__} instead of a market chart object for "
                              f"{coin.coin_id}; nothing loaded")
        prices = payload.get("prices")
        if not isinstance(prices, list):
            return [], [], [payload]  # the drift check names the missing series
        caps, volumes = _by_time(payload.get("market_caps")), _by_time(payload.get("total_volumes"))
        points, rejects = [], []
        for pair in prices:
            try:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise n.Invalid("a prices entry is not a [milliseconds, price] pair")
                at = from_milliseconds(pair[0])
                price = number_text(pair[1], "price", positive=True, required=True)
                points.append(Point(at, int(at.timestamp()), price, number_text(caps.get(pair[0]), "market_cap"),
                                    number_text(volumes.get(pair[0]), "total_volume")))
            except n.Invalid as exc:
                rejects.append(Reject(coin.coin_id, raw_text(pair), str(exc)))
        return points, rejects, [payload]


def _by_time(series: Any) -> dict:
    if not isinstance(series, list):
        return {}
    return {pair[0]: pair[1] for pair in series if isinstance(pair, list) and len(pair) == 2}


def build_history(settings, upstream, pool, coins, start: datetime, end: datetime) -> CoinGeckoHistory:
    start = max(start, end - timedelta(days=settings.coingecko_history_max_days))
    return CoinGeckoHistory(upstream, pool, coins, start=start, end=end,
                            future_tolerance=settings.future_tolerance_seconds,
                            window_days=settings.coingecko_history_window_days)
