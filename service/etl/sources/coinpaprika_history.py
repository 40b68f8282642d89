"""CoinPaprika's history: GET /tickers/{id}/historical?start=&end=&interval=1d|1h&limit=, daily then hourly."""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from service.etl import normalize as n
from service.etl.drift import Expectation
from service.etl.records import Reject, SourceError
from service.etl.sources.history import Coin, HistorySource, Point, Tier
from service.etl.sources.history_spans import EPOCH
from service.etl.sources.history_values import number_text, raw_text
from service.jsonutil import loads_digits

NAME = "coinpaprika"
EXPECTED = Expectation(required=frozenset({"timestamp", "price"}),
                       known=frozenset({"timestamp", "price", "volume_24h", "market_cap"}))
HOUR, DAY = 3600, 86400
MAX_LIMIT = 5000  # points per answer


class CoinPaprikaHistory(HistorySource):
    """Daily buckets, and hourly ones for the last `hourly_days` (the free plan: a year of days, the last day of
    hours; paid plans reach further, set by COINPAPRIKA_HISTORY_HOURLY_DAYS and COINPAPRIKA_HISTORY_MAX_DAYS)."""

    name = NAME
    expectation = EXPECTED

    def __init__(self, *args, hourly_days: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.hourly = timedelta(days=hourly_days)

    def tiers(self, start: datetime, end: datetime) -> list[Tier]:
        # the plan's hourly reach counts back from now (not from the coin's newest observation), whole hours only
        reach = datetime.now(timezone.utc) - self.hourly
        reach = EPOCH + timedelta(hours=math.ceil((reach - EPOCH) / timedelta(hours=1)))
        hourly_from = min(end, max(start, reach))
        tiers = []
        if start < hourly_from:
            tiers.append(Tier(DAY, start, hourly_from, timedelta(days=MAX_LIMIT - 1), {"interval": "1d"}))
        if hourly_from < end:
            tiers.append(Tier(HOUR, hourly_from, end, timedelta(hours=MAX_LIMIT - 1), {"interval": "1h"}))
        return tiers

    async def fetch(self, coin: Coin, tier: Tier, lo: datetime, hi: datetime) -> tuple[Any, bytes]:
        return await self.upstream.get_json_body(f"tickers/{quote(coin.coin_id, safe='')}/historical", {
            "start": _iso(lo), "end": _iso(hi), "interval": tier.params["interval"], "limit": MAX_LIMIT,
            "quote": "usd"}, loads=loads_digits)

    def read(self, coin: Coin, payload: Any) -> tuple[list[Point], list[Reject], list[Mapping]]:
        if not isinstance(payload, list):
            raise SourceError(f"{NAME} sent {type(payload).__name__} instead of an array of ticks for "
                              f"{coin.coin_id}; nothing loaded")
        points, rejects, objects = [], [], []
        for tick in payload:
            try:
                if not isinstance(tick, dict):
                    raise n.Invalid("tick is not a JSON object")
                objects.append(tick)
                at = n.timestamp(tick.get("timestamp"), "timestamp")
                points.append(Point(at, int(at.timestamp() // 1),
                                    number_text(tick.get("price"), "price", positive=True, required=True),
                                    number_text(tick.get("market_cap"), "market_cap"),
                                    number_text(tick.get("volume_24h"), "volume_24h")))
            except n.Invalid as exc:
                rejects.append(Reject(coin.coin_id, raw_text(tick), str(exc)))
        return points, rejects, objects


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_history(settings, upstream, pool, coins, start: datetime, end: datetime) -> CoinPaprikaHistory:
    start = max(start, end - timedelta(days=settings.coinpaprika_history_max_days))
    return CoinPaprikaHistory(upstream, pool, coins, start=start, end=end,
                              future_tolerance=settings.future_tolerance_seconds,
                              hourly_days=settings.coinpaprika_history_hourly_days)
