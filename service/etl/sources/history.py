"""What the historical sources share: the gaps of each coin's history pick the windows to ask for, the answer's
points fill the missing buckets only, and each coin's checkpoint says which span has been asked for already."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from service import metrics
from service.etl import drift
from service.etl.normalize import Invalid, not_future
from service.etl.records import Batch, DriftError, Reject
from service.etl.sources.api_stager import ApiRecords, HistoryStager
from service.etl.sources.history_spans import (Span, cut, floor, from_position, merge, minus, seconds, to_position,
                                               whole_buckets)
from service.etl.sources.history_values import raw_text
from service.etl.upstream import Upstream, UpstreamRefused
from service.gaps import find_gaps
from service.jsonutil import dumps

log = logging.getLogger(__name__)
STREAM_PREFIX = "backfill:"
# the stage_quotes columns a historical point fills (COPYed as text: HistoryStager); the others stay null
HISTORY_COLUMNS = ("source", "coin_id", "observed_at", "match_key", "symbol", "name", "price_usd", "market_cap_usd",
                   "volume_24h_usd")
# refusals that concern the coin or the window asked for (no such coin, beyond the plan), not the whole source
_COIN_REFUSALS = (400, 402, 404)


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


class HistorySource:
    """A source's historical endpoint read coin by coin, window by window, into one batch per request."""

    name: str
    expectation: drift.Expectation
    prefetch = 4  # requests in flight ahead of the batch being stored (the token bucket still paces them)
    group_points = 10_000  # points read from the answers stored in one batch, at most about
    group_seconds = 2.0  # the longest an answer waits for others to be stored with

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
        group: list[Batch] = []
        since = 0.0
        try:
            for number, job in enumerate(jobs, start=1):
                ahead.append((job, self._start(job)))
                while len(ahead) > self.prefetch or (number == len(jobs) and ahead):
                    batch = await self._next(ahead.popleft(), refused)
                    if batch is None:
                        continue
                    if not group:
                        since = time.monotonic()
                    group.append(batch)
                    # answers stored together up to a size or an age: each stored batch costs a transaction of
                    # some twenty round trips, whatever its size
                    if sum(b.payload.read for b in group) >= self.group_points \
                            or time.monotonic() - since >= self.group_seconds:
                        yield _together(group)
                        group = []
            if group:
                yield _together(group)
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
            asked = from_position(checkpoints.get(stream))
            end = min(self.end, coin.latest)
            done = merge(asked, (self.start, end)) if self.start < end else asked or (end, end)
            pieces: dict[Tier, list[Span]] = {}
            for tier, (lo, hi) in gaps_by_coin[coin.coin_id]:
                pieces.setdefault(tier, []).extend(whole_buckets(
                    minus((max(lo, floor(self.start, tier.step)), min(hi, end)), asked), tier.step))
            # a window covers as many gaps as it can hold: a coin missing one hour in fifty is one request
            windows = [(tier, *window) for tier, spans in pieces.items() for window in cut(spans, tier.window)]
            base = {"coins_total": total, "coin": coin.coin_id}
            if not windows:
                jobs.append(_Job(coin, stream, done, done, None, True, index, base))
            for number, window in enumerate(windows, start=1):
                last = number == len(windows)
                position = done if last else merge(asked, (self.start, window[2]))
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
        empty = {bucket for lo, hi in missing for bucket in range(seconds(lo), seconds(hi), step)}
        quotes, skipped = [], 0
        name, coin_id, match_key, symbol, coin_name = self.name, coin.coin_id, coin.match_key, coin.symbol, coin.name
        for point in points:
            if point.observed_at > not_after:
                try:
                    not_future(point.observed_at, not_after, "timestamp")
                except Invalid as exc:
                    rejects.append(Reject(coin_id, raw_text({"timestamp": point.observed_at.isoformat(),
                                                             "price": point.price}), str(exc)))
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
            text = dumps(payload).decode()
        digest = hashlib.blake2b(body, digest_size=16).digest()
        raw = ((name, fetched_at, coin_id, digest, text),)
        records = ApiRecords(read=len(points) + len(rejects), columns=HISTORY_COLUMNS, quotes=tuple(quotes),
                             rejects=tuple(rejects), raw=raw, skipped=skipped)
        return Batch(stream=job.stream, position=to_position(job.position), payload=records, pages=1,
                     bytes=len(body), drift=found, progress=job.progress(self.requests))

    def _empty(self, stream: str, position: Span, progress: dict, rejects: tuple[Reject, ...] = ()) -> Batch:
        records = ApiRecords(read=len(rejects), columns=HISTORY_COLUMNS, quotes=(), rejects=rejects, raw=(),
                             skipped=0)
        return Batch(stream=stream, position=to_position(position), payload=records, progress=progress)


def _together(batches: list[Batch]) -> Batch:
    """Several answers' batches as one: their records in order, each coin's checkpoint, the last progress."""
    if len(batches) == 1:
        return batches[0]
    last = batches[-1]
    positions = {b.stream: b.position for b in batches}
    positions.pop(last.stream)
    found: dict[str, Any] = {}
    for batch in batches:
        for key, value in batch.drift.items():
            if isinstance(value, list):
                found.setdefault(key, []).extend(v for v in value if v not in found[key])
            else:
                found[key] = value
    records = [b.payload for b in batches]
    payload = ApiRecords(read=sum(r.read for r in records), columns=HISTORY_COLUMNS,
                         quotes=tuple(q for r in records for q in r.quotes),
                         rejects=tuple(x for r in records for x in r.rejects),
                         raw=tuple(x for r in records for x in r.raw), skipped=sum(r.skipped for r in records))
    return Batch(stream=last.stream, position=last.position, payload=payload, pages=sum(b.pages for b in batches),
                 bytes=sum(b.bytes for b in batches), drift=found, progress=last.progress, more_positions=positions)


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
