"""The historical endpoints of the fake upstreams, speaking the real formats: CoinGecko's
``/coins/{id}/market_chart/range`` (millisecond times off the hour, auto granularity by range length) and
CoinPaprika's ``/tickers/{id}/historical`` (ISO times, interval and limit). Each coin's series is a pure function
of (coin, time), so any window asked twice answers the same points; ``holes`` cut spans out of a coin's series."""
from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from aiohttp import web

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MINUTE, HOUR, DAY = 60, 3600, 86400


class Series:
    """Deterministic prices of known coins; tiny coins (ids with 'tiny' or every 7th) get exponent notation."""

    def __init__(self, coins: dict[str, str] | None = None):
        self.coins = dict(coins or {})  # coin id -> typical price (text)
        self.holes: dict[str, list[tuple[datetime, datetime]]] = {}
        self.offset_ms: dict[str, int] = {}
        self.delay = 0.0  # seconds each historical answer takes (the live endpoints stay fast)
        self._prices: dict[tuple, Decimal] = {}
        # (coin, step, offset) -> {k: the JSON texts of the point at k steps from the epoch, () in a hole}
        self._texts: dict[tuple, dict[int, tuple[str, ...]]] = {}

    def knows(self, coin: str) -> bool:
        return coin in self.coins

    def offset(self, coin: str) -> int:
        """Milliseconds past the step at which this coin's points fall (never on the hour, like CoinGecko's)."""
        if coin not in self.offset_ms:
            self.offset_ms[coin] = 1000 + int(hashlib.blake2b(coin.encode(), digest_size=4).hexdigest(), 16) % 250_000
        return self.offset_ms[coin]

    def in_hole(self, coin: str, moment: datetime) -> bool:
        return any(lo <= moment < hi for lo, hi in self.holes.get(coin, ()))

    def price(self, coin: str, moment: datetime) -> Decimal:
        key = (coin, moment)
        if key not in self._prices:
            self._prices[key] = self._price(coin, moment)
        return self._prices[key]

    def _price(self, coin: str, moment: datetime) -> Decimal:
        typical = Decimal(self.coins[coin])
        wiggle = int(hashlib.blake2b(f"{coin}{moment.timestamp()}".encode(), digest_size=4).hexdigest(), 16)
        return +(typical * (Decimal(990_000) + wiggle % 20_000) / Decimal(1_000_000))

    def points(self, coin: str, lo: datetime, hi: datetime, step: int, offset_ms: int) -> list[tuple]:
        """(time, price, market_cap, volume) at each step start + offset within [lo, hi]."""
        first = EPOCH + timedelta(seconds=(lo - EPOCH) // timedelta(seconds=step) * step)
        out, moment = [], first
        while moment <= hi:
            at = moment + timedelta(milliseconds=offset_ms)
            if lo <= at <= hi and not self.in_hole(coin, at):
                price = self.price(coin, moment)
                out.append((at, price, +(price * 19_000_000), +(price * 1_234_567)))
            moment += timedelta(seconds=step)
        return out


def gecko_chart_body(series: Series, coin: str, start: int, end: int, now: datetime) -> bytes:
    """gecko_chart's JSON, each point's texts made once (benchmarks ask for 216,000 of them)."""
    lo, hi, step, offset = _granularity(series, coin, start, end, now)
    lo_ms, hi_ms = _ms(lo), _ms(hi)
    # a coin with holes is made afresh each time: a test may cut a hole after a first answer
    table = {} if series.holes.get(coin) else series._texts.setdefault((coin, step, offset), {})
    prices, caps, volumes = [], [], []
    for k in range(-((offset - lo_ms) // (step * 1000)), (hi_ms - offset) // (step * 1000) + 1):
        texts = table.get(k)
        if texts is None:
            moment = EPOCH + timedelta(seconds=k * step)
            at = moment + timedelta(milliseconds=offset)
            if series.in_hole(coin, at):
                texts = table[k] = ()
            else:
                price = series.price(coin, moment)
                ms = _ms(at)
                texts = table[k] = tuple(f"[{ms},{_text(number)}]"
                                         for number in (price, +(price * 19_000_000), +(price * 1_234_567)))
        if texts:
            prices.append(texts[0])
            caps.append(texts[1])
            volumes.append(texts[2])
    return (f'{{"prices":[{",".join(prices)}],"market_caps":[{",".join(caps)}],'
            f'"total_volumes":[{",".join(volumes)}]}}').encode()


def _ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _text(number: Decimal) -> str:
    return str(number).replace("E", "e")  # lower-case exponent like the real APIs ("6.31917e-7")


def gecko_chart(series: Series, coin: str, start: int, end: int, now: datetime) -> dict:
    """CoinGecko's auto granularity: 5-minutely within a day of now, hourly for 2-90 days, daily beyond."""
    points = _gecko_points(series, coin, start, end, now)
    ms = [int((at - EPOCH) / timedelta(milliseconds=1)) for at, *_ in points]
    return {"prices": [[t, p[1]] for t, p in zip(ms, points)],
            "market_caps": [[t, p[2]] for t, p in zip(ms, points)],
            "total_volumes": [[t, p[3]] for t, p in zip(ms, points)]}


def _gecko_points(series: Series, coin: str, start: int, end: int, now: datetime) -> list[tuple]:
    return series.points(coin, *_granularity(series, coin, start, end, now))


def _granularity(series: Series, coin: str, start: int, end: int, now: datetime) -> tuple:
    """(lo, hi, step, offset in ms) of CoinGecko's answer for [start, end]."""
    lo = EPOCH + timedelta(seconds=start)
    hi = min(EPOCH + timedelta(seconds=end), now)
    span = hi - lo
    if span <= timedelta(days=1) and now - lo <= timedelta(days=1):
        step, offset = 5 * MINUTE, series.offset(coin) % 60_000
    elif span <= timedelta(days=90):
        step, offset = HOUR, series.offset(coin)
    else:
        step, offset = DAY, 0
    return lo, hi, step, offset


def paprika_ticks(series: Series, coin: str, lo: datetime, hi: datetime, interval: str, limit: int,
                  now: datetime) -> list[dict]:
    step = {"1h": HOUR, "1d": DAY, "24h": DAY, "5m": 5 * MINUTE}[interval]
    points = series.points(coin, lo, min(hi, now), step, 0)[:limit]
    return [{"timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "price": price, "volume_24h": volume,
             "market_cap": cap} for at, price, cap, volume in points]


def add_gecko_history(fake, router: web.UrlDispatcher) -> None:
    async def chart(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(fake.series.delay)
        return await fake._answer(request, lambda r: _gecko(fake, r))
    router.add_get("/api/v3/coins/{id}/market_chart/range", chart)


def _gecko(fake, request):
    from tests.fakes.upstream import dumps
    query = request.query
    if query.get("vs_currency", "").lower() != "usd":
        return 400, dumps({"error": "Missing parameter vs_currency"})
    try:
        start, end = int(query["from"]), int(query["to"])
    except (KeyError, ValueError):
        return 400, dumps({"error": "Missing parameter from or to"})
    coin = request.match_info["id"]
    if not fake.series.knows(coin):
        return 404, dumps({"error": "coin not found"})
    return 200, gecko_chart_body(fake.series, coin, start, end, datetime.now(timezone.utc))


def add_paprika_history(fake, router: web.UrlDispatcher) -> None:
    async def historical(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(fake.series.delay)
        return await fake._answer(request, lambda r: _paprika(fake, r))
    router.add_get("/v1/tickers/{id}/historical", historical)


def _paprika(fake, request):
    from tests.fakes.upstream import dumps
    query = request.query
    coin = request.match_info["id"]
    if not fake.series.knows(coin):
        return 404, dumps({"error": "id not found"})
    try:
        lo = datetime.fromisoformat(query["start"])
        hi = datetime.fromisoformat(query["end"]) if "end" in query else datetime.now(timezone.utc)
        limit = min(int(query.get("limit", "1000")), 5000)
        interval = query.get("interval", "5m")
        if interval not in ("1h", "1d", "24h", "5m"):
            raise ValueError(interval)
    except (KeyError, ValueError):
        return 400, dumps({"error": "Invalid parameters"})
    return 200, dumps(paprika_ticks(fake.series, coin, lo, hi, interval, limit, datetime.now(timezone.utc)))
