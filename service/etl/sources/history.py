"""What the historical sources share: the gaps of each coin's history pick the windows to ask for, the answer's
points fill the missing buckets only, and each coin's checkpoint says which span has been asked for already."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from service import metrics
from service.etl import drift
from service.etl.normalize import Invalid, not_future
from service.etl.records import API_QUOTE_COLUMNS, Batch, DriftError, Reject
from service.etl.sources.api_stager import ApiRecords, ApiStager
from service.etl.upstream import Upstream, UpstreamRefused
from service.gaps import find_gaps
from service.jsonutil import dumps

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STREAM_PREFIX = "backfill:"
# refusals that concern the coin or the window asked for (no such coin, beyond the plan), not the whole source
_COIN_REFUSALS = (400, 402, 404)
_RAW_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Coin:
    """A coin of the latest state to backfill: its names and its newest observation (the backfill stops there)."""

    coin_id: str
    symbol: str
    name: str
    match_key: str
    latest: datetime


@dataclass(frozen=True, slots=True)
class Tier:
    """A stretch of time read at one resolution: buckets of `step` seconds, at most `window` per request."""

    step: int
    start: datetime
    end: datetime
    window: timedelta
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Point:
    """One point of an upstream series, normalized, with what it was read from."""

    observed_at: datetime
    price: Any
    market_cap: Any = None
    volume: Any = None


Span = tuple[datetime, datetime]


class HistorySource:
    """A source's historical endpoint read coin by coin, window by window, into one batch per request."""

    name: str
    expectation: drift.Expectation

    def __init__(self, upstream: Upstream, pool, coins: Sequence[Coin], *, start: datetime, end: datetime,
                 future_tolerance: float):
        self.upstream = upstream
        self.pool = pool
        self.coins = tuple(coins)
        self.start = start
        self.end = end
        self.future_tolerance = future_tolerance
        self.requests = 0

    # --- what each historical source says ---

    def tiers(self, start: datetime, end: datetime) -> list[Tier]:
        """The resolutions of [start, end), oldest first."""
        raise NotImplementedError

    async def fetch(self, coin: Coin, tier: Tier, lo: datetime, hi: datetime) -> tuple[Any, int]:
        """The upstream's answer for the coin over [lo, hi) and its size in bytes."""
        raise NotImplementedError

    def read(self, coin: Coin, payload: Any) -> tuple[list[Point], list[Reject], list[Mapping]]:
        """The payload's points, the ones refused, and the JSON objects the drift check judges."""
        raise NotImplementedError

    # --- the shared part ---

    def stager(self, run_id: int) -> ApiStager:
        return ApiStager(run_id)

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        total = len(self.coins)
        for index, coin in enumerate(self.coins):
            stream = STREAM_PREFIX + coin.coin_id
            asked = _span(checkpoints.get(stream))
            end = min(self.end, coin.latest)
            done = _merge(asked, (self.start, end)) if self.start < end else asked or (end, end)
            windows = await self._windows(coin, asked, end) if self.start < end else []
            progress = {"coins_total": total, "coins_done": index, "coins_left": total - index,
                        "coin": coin.coin_id}
            if not windows:
                yield self._empty(stream, done, {**progress, "coins_done": index + 1, "coins_left": total - index - 1,
                                                 "requests": self.requests})
                continue
            for number, (tier, lo, hi, missing) in enumerate(windows, start=1):
                last = number == len(windows)
                try:
                    payload, nbytes = await self.fetch(coin, tier, lo, hi)
                except UpstreamRefused as exc:
                    if exc.status not in _COIN_REFUSALS:
                        raise
                    # the coin (or this span of it) is not to be had: said once as a reject, not asked again
                    self._count_request()
                    reject = Reject(coin.coin_id, f"GET {lo.isoformat()}..{hi.isoformat()}", str(exc))
                    yield self._empty(stream, done, self._done(progress, index, total), rejects=(reject,))
                    break
                self._count_request()
                position = done if last else _merge(asked, (self.start, hi))
                now = self._done(progress, index, total) if last else {**progress, "requests": self.requests}
                yield self._batch(coin, stream, position, tier, missing, payload, nbytes, now)

    def _count_request(self) -> None:
        self.requests += 1
        metrics.BACKFILL_REQUESTS.labels(self.name).inc()

    def _done(self, progress: dict, index: int, total: int) -> dict:
        return {**progress, "coins_done": index + 1, "coins_left": total - index - 1, "requests": self.requests}

    async def _windows(self, coin: Coin, asked: Span | None,
                       end: datetime) -> list[tuple[Tier, datetime, datetime, list[Span]]]:
        """The requests that cover the coin's missing buckets not asked for before: per tier, the missing whole
        buckets cut into windows of at most the tier's width, each window the hull of the buckets it holds."""
        windows = []
        async with self.pool.acquire() as connection:
            for tier in self.tiers(self.start, end):
                gaps = await find_gaps(connection, step=tier.step, start=tier.start, end=tier.end,
                                       source=self.name, coin_ids=[coin.coin_id])
                missing = [piece for gap in gaps for piece in _whole_buckets(_minus((gap.start, gap.end), asked),
                                                                             tier.step)]
                windows.extend((tier, *window) for window in _cut(missing, tier.window))
        return windows

    def _batch(self, coin: Coin, stream: str, position: Span, tier: Tier, missing: list[Span], payload: Any,
               nbytes: int, progress: dict) -> Batch:
        points, rejects, objects = self.read(coin, payload)
        report = drift.check(objects, self.expectation)
        found = report.as_dict()
        if report.breaking:
            raise DriftError(f"{self.name} history payload broke its schema: {report.describe()}; nothing loaded",
                             found)
        fetched_at = datetime.now(timezone.utc)
        not_after = fetched_at + timedelta(seconds=self.future_tolerance)
        quotes, filled, skipped = [], set(), 0
        for point in points:
            try:
                not_future(point.observed_at, not_after, "timestamp")
            except Invalid as exc:
                rejects.append(Reject(coin.coin_id, _json(point_raw(point))[:_RAW_LIMIT], str(exc)))
                continue
            bucket = _bucket(point.observed_at, tier.step)
            if bucket in filled or not any(lo <= bucket < hi for lo, hi in missing):
                skipped += 1  # its bucket has an observation already: only missing buckets are filled
                continue
            filled.add(bucket)
            quotes.append(self._quote(coin, point))
        text = _json(payload)
        digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        raw = ((self.name, fetched_at, coin.coin_id, digest, text),)
        records = ApiRecords(read=len(points) + len(rejects), columns=API_QUOTE_COLUMNS, quotes=tuple(quotes),
                             rejects=tuple(rejects), raw=raw, skipped=skipped)
        return Batch(stream=stream, position=_position(position), payload=records, pages=1, bytes=nbytes,
                     drift=found, progress=progress)

    def _quote(self, coin: Coin, point: Point) -> tuple:
        # API_QUOTE_COLUMNS order; a historical point has no rank, supplies, changes or ATH
        return (self.name, coin.coin_id, point.observed_at, coin.match_key, coin.symbol, coin.name, None,
                point.price, point.market_cap, point.volume, None, None, None, None,
                None, None, None, None, None, None, None)

    def _empty(self, stream: str, position: Span, progress: dict, rejects: tuple[Reject, ...] = ()) -> Batch:
        records = ApiRecords(read=len(rejects), columns=API_QUOTE_COLUMNS, quotes=(), rejects=rejects, raw=(),
                             skipped=0)
        return Batch(stream=stream, position=_position(position), payload=records, progress=progress)


def point_raw(point: Point) -> dict:
    return {"timestamp": point.observed_at.isoformat(), "price": point.price}


def from_milliseconds(value: Any) -> datetime:
    """A Unix time in milliseconds (CoinGecko's), exactly: no float rounding of the milliseconds."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10 ** 14:
        raise Invalid(f"timestamp is not a time in milliseconds: {value!r}")
    return EPOCH + timedelta(milliseconds=value)


def _bucket(moment: datetime, step: int) -> datetime:
    seconds = (moment - EPOCH) // timedelta(seconds=step) * step
    return EPOCH + timedelta(seconds=seconds)


def _minus(gap: Span, asked: Span | None) -> list[Span]:
    """The parts of `gap` outside the span already asked for."""
    if asked is None or asked[1] <= gap[0] or gap[1] <= asked[0]:
        return [gap]
    return [piece for piece in ((gap[0], asked[0]), (asked[1], gap[1])) if piece[0] < piece[1]]


def _whole_buckets(pieces: list[Span], step: int) -> list[Span]:
    """Each piece shrunk to the whole buckets it holds (a piece cut mid-bucket by the span asked for before)."""
    out = []
    for lo, hi in pieces:
        first = _bucket(lo, step)
        if first < lo:
            first += timedelta(seconds=step)
        last = _bucket(hi, step)
        if first < last:
            out.append((first, last))
    return out


def _cut(missing: list[Span], width: timedelta) -> list[tuple[datetime, datetime, list[Span]]]:
    """Windows of at most `width`, in time order, each the hull of the missing spans (or parts) it holds."""
    windows: list[tuple[datetime, datetime, list[Span]]] = []
    for lo, hi in sorted(missing):
        while lo < hi:
            if windows and lo < windows[-1][0] + width:
                start, _, pieces = windows[-1]
                end = min(hi, start + width)
                pieces.append((lo, end))
                windows[-1] = (start, end, pieces)
            else:
                end = min(hi, lo + width)
                windows.append((lo, end, [(lo, end)]))
            lo = end
    return windows


def _merge(asked: Span | None, new: Span) -> Span:
    """The span asked for so far: the two together when they touch, else the newer one alone (asking again for
    a span is only a wasted request, never a missed one)."""
    if asked is None or asked[1] < new[0] or new[1] < asked[0]:
        return new
    return (min(asked[0], new[0]), max(asked[1], new[1]))


def _span(position: Mapping[str, Any] | None) -> Span | None:
    try:
        return (datetime.fromisoformat(position["from"]), datetime.fromisoformat(position["to"]))
    except (TypeError, KeyError, ValueError):
        return None


def _position(span: Span) -> dict[str, str]:
    return {"from": span[0].isoformat(), "to": span[1].isoformat()}


def _json(value: Any) -> str:
    return dumps(value).decode()
