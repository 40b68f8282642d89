"""What the historical sources share: the gaps of each coin's history pick the windows to ask for, the answer's
points fill the missing buckets only, and each coin's checkpoint says which span has been asked for already."""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from service import metrics
from service.etl import drift
from service.etl.normalize import Invalid, not_future
from service.etl.records import Batch, DriftError, Reject
from service.etl.sources.api_stager import ApiRecords, HistoryStager
from service.etl.upstream import Upstream, UpstreamRefused
from service.gaps import find_gaps
from service.jsonutil import dumps

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STREAM_PREFIX = "backfill:"
# the stage_quotes columns a historical point fills (through stage_history); the others stay null
HISTORY_COLUMNS = ("source", "coin_id", "observed_at", "match_key", "symbol", "name", "price_usd", "market_cap_usd",
                   "volume_24h_usd")
# refusals that concern the coin or the window asked for (no such coin, beyond the plan), not the whole source
_COIN_REFUSALS = (400, 402, 404)
_RAW_LIMIT = 10_000
_MAX_MAGNITUDE = 1e30  # as normalize.decimal: beyond it a figure is garbage, not a market value


@dataclass(frozen=True, slots=True)
class Coin:
    """A coin of the latest state to backfill: its names and its newest observation (the backfill stops there)."""

    coin_id: str
    symbol: str
    name: str
    match_key: str
    latest: datetime


@dataclass(frozen=True, slots=True, eq=False)  # one object per tier: hashed by identity
class Tier:
    """A stretch of time read at one resolution: buckets of `step` seconds, at most `window` per request."""

    step: int
    start: datetime
    end: datetime
    window: timedelta
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Point:
    """One point of an upstream series, judged; `epoch` is its time in whole Unix seconds, the numbers are the
    digits the upstream sent (number_text)."""

    observed_at: datetime
    epoch: int
    price: str
    market_cap: str | None = None
    volume: str | None = None


Span = tuple[datetime, datetime]


class HistorySource:
    """A source's historical endpoint read coin by coin, window by window, into one batch per request."""

    name: str
    expectation: drift.Expectation
    prefetch = 4  # requests in flight ahead of the batch being stored (the token bucket still paces them)

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

    async def fetch(self, coin: Coin, tier: Tier, lo: datetime, hi: datetime) -> tuple[Any, bytes]:
        """The upstream's answer for the coin over [lo, hi), parsed and as received."""
        raise NotImplementedError

    def read(self, coin: Coin, payload: Any) -> tuple[list[Point], list[Reject], list[Mapping]]:
        """The payload's points, the ones refused, and the JSON objects the drift check judges."""
        raise NotImplementedError

    # --- the shared part ---

    def stager(self, run_id: int) -> HistoryStager:
        return HistoryStager(run_id)

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        jobs = await self._jobs(checkpoints)
        ahead: deque[tuple[_Job, asyncio.Task | None]] = deque()
        refused: set[str] = set()
        try:
            for job in jobs:
                ahead.append((job, self._start(job)))
                while len(ahead) > self.prefetch:
                    batch = await self._next(ahead.popleft(), refused)
                    if batch is not None:
                        yield batch
            while ahead:
                batch = await self._next(ahead.popleft(), refused)
                if batch is not None:
                    yield batch
        finally:
            for _, task in ahead:
                if task is not None:
                    task.cancel()
                    if task.done() and not task.cancelled():
                        task.exception()  # retrieved: the run's failure is the one already raised

    def _start(self, job: _Job) -> asyncio.Task | None:
        if job.window is None:
            return None
        tier, lo, hi, _ = job.window
        return asyncio.ensure_future(self.fetch(job.coin, tier, lo, hi))

    async def _next(self, started: tuple[_Job, asyncio.Task | None], refused: set[str]) -> Batch | None:
        job, task = started
        if job.coin.coin_id in refused:  # refused earlier in this run: its other windows are not asked for
            if task is not None:
                task.cancel()
            return self._empty(job.stream, job.position, job.progress(self.requests)) if job.last else None
        if task is None:
            return self._empty(job.stream, job.position, job.progress(self.requests))
        try:
            payload, body = await task
        except UpstreamRefused as exc:
            if exc.status not in _COIN_REFUSALS:
                raise
            # the coin (or this span of it) is not to be had: said once as a reject, not asked again
            self._count_request()
            refused.add(job.coin.coin_id)
            tier, lo, hi, _ = job.window
            reject = Reject(job.coin.coin_id, f"GET {lo.isoformat()}..{hi.isoformat()}", str(exc))
            return self._empty(job.stream, job.done, job.progress(self.requests, finished=True), rejects=(reject,))
        self._count_request()
        return self._batch(job, payload, body)

    async def _jobs(self, checkpoints: Mapping[str, dict[str, Any]]) -> list[_Job]:
        """Every request of the run, in coin order then time order, with the checkpoint each one's batch leaves:
        the coins' missing buckets (one gaps query per tier for all the coins) not asked for before, in windows
        of at most the tier's width, each window the hull of the buckets it holds."""
        ids = [coin.coin_id for coin in self.coins]
        gaps_by_coin: dict[str, list[tuple[Tier, Span]]] = {coin_id: [] for coin_id in ids}
        if self.coins and self.start < self.end:
            async with self.pool.acquire() as connection:
                for tier in self.tiers(self.start, self.end):
                    for gap in await find_gaps(connection, step=tier.step, start=tier.start, end=tier.end,
                                               source=self.name, coin_ids=ids):
                        gaps_by_coin[gap.coin_id].append((tier, (gap.start, gap.end)))
        jobs, total = [], len(self.coins)
        for index, coin in enumerate(self.coins):
            stream = STREAM_PREFIX + coin.coin_id
            asked = _span(checkpoints.get(stream))
            end = min(self.end, coin.latest)
            done = _merge(asked, (self.start, end)) if self.start < end else asked or (end, end)
            pieces: dict[Tier, list[Span]] = {}
            for tier, (lo, hi) in gaps_by_coin[coin.coin_id]:
                pieces.setdefault(tier, []).extend(_whole_buckets(
                    _minus((max(lo, _floor(self.start, tier.step)), min(hi, end)), asked), tier.step))
            # a window covers as many gaps as it can hold: a coin missing one hour in fifty is one request
            windows = [(tier, *window) for tier, spans in pieces.items() for window in _cut(spans, tier.window)]
            base = {"coins_total": total, "coin": coin.coin_id}
            if not windows:
                jobs.append(_Job(coin, stream, done, done, None, True, index, base))
            for number, window in enumerate(windows, start=1):
                last = number == len(windows)
                position = done if last else _merge(asked, (self.start, window[2]))
                jobs.append(_Job(coin, stream, position, done, window, last, index, base))
        return jobs

    def _count_request(self) -> None:
        self.requests += 1
        metrics.BACKFILL_REQUESTS.labels(self.name).inc()

    def _batch(self, job: _Job, payload: Any, body: bytes) -> Batch:
        coin, (tier, _, _, missing) = job.coin, job.window
        points, rejects, objects = self.read(coin, payload)
        report = drift.check(objects, self.expectation)
        found = report.as_dict()
        if report.breaking:
            raise DriftError(f"{self.name} history payload broke its schema: {report.describe()}; nothing loaded",
                             found)
        fetched_at = datetime.now(timezone.utc)
        not_after = fetched_at + timedelta(seconds=self.future_tolerance)
        step = tier.step
        empty = {bucket for lo, hi in missing for bucket in range(_seconds(lo), _seconds(hi), step)}
        quotes, skipped = [], 0
        name, coin_id, match_key, symbol, coin_name = self.name, coin.coin_id, coin.match_key, coin.symbol, coin.name
        for point in points:
            if point.observed_at > not_after:
                try:
                    not_future(point.observed_at, not_after, "timestamp")
                except Invalid as exc:
                    rejects.append(Reject(coin_id, raw_text(point_raw(point)), str(exc)))
                    continue
            bucket = point.epoch - point.epoch % step
            if bucket not in empty:
                skipped += 1  # its bucket has an observation already (or one from this answer): filled once
                continue
            empty.discard(bucket)
            # HISTORY_COLUMNS order (numbers as their digits: HistoryStager); a historical point has no rank,
            # supplies, changes or ATH
            quotes.append((name, coin_id, point.observed_at, match_key, symbol, coin_name, point.price,
                           point.market_cap, point.volume))
        text = body.decode("utf-8", "replace")
        if "\\u0000" in text:  # jsonb holds no NUL: the payload as parsed, written back, instead
            text = _json(payload)
        digest = hashlib.blake2b(body, digest_size=16).digest()
        raw = ((name, fetched_at, coin_id, digest, text),)
        records = ApiRecords(read=len(points) + len(rejects), columns=HISTORY_COLUMNS, quotes=tuple(quotes),
                             rejects=tuple(rejects), raw=raw, skipped=skipped)
        return Batch(stream=job.stream, position=_position(job.position), payload=records, pages=1,
                     bytes=len(body), drift=found, progress=job.progress(self.requests))

    def _empty(self, stream: str, position: Span, progress: dict, rejects: tuple[Reject, ...] = ()) -> Batch:
        records = ApiRecords(read=len(rejects), columns=HISTORY_COLUMNS, quotes=(), rejects=rejects, raw=(),
                             skipped=0)
        return Batch(stream=stream, position=_position(position), payload=records, progress=progress)


@dataclass(frozen=True, slots=True)
class _Job:
    """One request of a backfill (or, without a window, a coin with nothing to ask for) and what follows it."""

    coin: Coin
    stream: str
    position: Span  # the checkpoint once its batch is stored
    done: Span  # the checkpoint once the whole coin is
    window: tuple[Tier, datetime, datetime, list[Span]] | None
    last: bool  # the coin's last request: its batch completes the coin
    index: int
    base: dict

    def progress(self, requests: int, finished: bool = False) -> dict:
        done = self.index + 1 if self.last or finished else self.index
        return {**self.base, "coins_done": done, "coins_left": self.base["coins_total"] - done, "requests": requests}


def raw_text(value: Any) -> str:
    """A refused value as a reject keeps it: its JSON, cut to the rejects' limit."""
    return _json(value)[:_RAW_LIMIT]


def point_raw(point: Point) -> dict:
    return {"timestamp": point.observed_at.isoformat(), "price": point.price}


def from_milliseconds(value: Any) -> datetime:
    """A Unix time in milliseconds (CoinGecko's), exactly to the millisecond."""
    if type(value) is not int:
        if isinstance(value, str):  # a float's text (loads_digits), e.g. 1711846862345.0
            try:
                value = Decimal(value)
            except ArithmeticError:
                raise Invalid(f"timestamp is not a time in milliseconds: {value!r}") from None
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"timestamp is not a time in milliseconds: {value!r}")
    if not 0 <= value < 10 ** 14:
        raise Invalid(f"timestamp is out of range: {value!r}")
    seconds, milliseconds = divmod(value, 1000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=milliseconds * 1000)


def _seconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(seconds=1)


def _floor(moment: datetime, step: int) -> datetime:
    """The start of the bucket of `step` seconds holding `moment`."""
    return EPOCH + timedelta(seconds=_seconds(moment) // step * step)


def _minus(gap: Span, asked: Span | None) -> list[Span]:
    """The parts of `gap` outside the span already asked for."""
    if asked is None or asked[1] <= gap[0] or gap[1] <= asked[0]:
        return [gap]
    return [piece for piece in ((gap[0], asked[0]), (asked[1], gap[1])) if piece[0] < piece[1]]


def _whole_buckets(pieces: list[Span], step: int) -> list[Span]:
    """Each piece shrunk to the whole buckets it holds (a piece cut mid-bucket by the span asked for before)."""
    out = []
    for lo, hi in pieces:
        first = _floor(lo, step)
        if first < lo:
            first += timedelta(seconds=step)
        last = _floor(hi, step)
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


def number_text(value: Any, field: str, *, required: bool = False, positive: bool = False) -> str | None:
    """A JSON number as its digits (as loads_digits reads it: a float's text, an int), judged as normalize.decimal
    judges one: finite, below 1e30 in magnitude, not negative (a price not zero either)."""
    if value is None:
        if required:
            raise Invalid(f"{field} is missing")
        return None
    kind = type(value)
    if kind is int:
        magnitude, value = value, str(value)
    elif kind is str and value and (value[0].isdigit() or value[0] == "-"):  # a JSON number's text
        magnitude = float(value)
    else:
        raise Invalid(f"{field} is not a number: {value!r}")
    if not -_MAX_MAGNITUDE < magnitude < _MAX_MAGNITUDE:
        raise Invalid(f"{field} is out of range: {value}")
    if magnitude < 0:
        raise Invalid(f"{field} is negative: {value}")
    if positive and magnitude == 0:
        raise Invalid(f"{field} is zero")
    return value
