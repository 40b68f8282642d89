"""HTTP to the market-data APIs: timeouts, retries with full-jitter backoff, Retry-After, a token bucket.

Only failures that can heal within a run are retried (429, 5xx, timeouts, dropped connections); a name the
resolver does not know is tried once more (a resolver hiccup), a refused certificate or a bad URL never."""
from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from tenacity import (AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt,
                      wait_random_exponential)

from service.etl.records import SourceError
from service.jsonutil import loads_exact

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024 * 1024


class RetryableError(SourceError):
    """A failure worth trying again: 429, 5xx, a timeout or a dropped connection; `max_retries` caps the
    retries below the upstream's own when more would only wait longer for the same answer."""

    def __init__(self, message: str, retry_after: float | None = None, max_retries: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.max_retries = max_retries


# a name no resolver knows stays unknown for the length of a run; one more try covers a resolver hiccup
DNS_RETRIES = 1


class UpstreamRefused(SourceError):
    """The upstream refused the request itself (4xx other than 429): `status` says why (404: no such coin)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class TokenBucket:
    """At most `rate` requests a second on average, bursts up to `capacity`, shared by every user of the upstream.

    A background taker (a backfill) only takes a token no foreground taker (a live run) is waiting for, and never
    waits holding the bucket: a live run's request never queues behind a backfill's."""

    def __init__(self, rate: float, capacity: float):
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()
        self._foreground_waiting = 0

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._updated) * self.rate)
        self._updated = max(self._updated, now)

    def hold(self, seconds: float) -> None:
        """No token for anyone during the next `seconds` (the upstream's Retry-After), then refilling from 0."""
        self._tokens = 0.0
        self._updated = max(self._updated, time.monotonic() + seconds)

    async def take(self, background: bool = False) -> None:
        if background:
            while True:
                if not self._foreground_waiting and not self._lock.locked():
                    self._refill()
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                await asyncio.sleep(max(0.01, self._wait()))
        self._foreground_waiting += 1
        try:
            async with self._lock:
                while True:
                    self._refill()
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    await asyncio.sleep(self._wait())
        finally:
            self._foreground_waiting -= 1

    def _wait(self) -> float:
        """Seconds until a whole token is there."""
        ahead = max(0.0, self._updated - time.monotonic())
        return ahead + max(0.0, 1 - self._tokens) / self.rate


class Upstream:
    """One API root: GETs JSON with the source's headers, rate limit and retry policy."""

    def __init__(self, name: str, session: aiohttp.ClientSession, base_url: str, *,
                 headers: dict[str, str], bucket: TokenBucket, max_retries: int,
                 retry_after_cap: float, backoff_max: float = 30.0, background: bool = False):
        self.name = name
        self.background = background
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.bucket = bucket
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self._jitter = wait_random_exponential(multiplier=0.5, max=backoff_max)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> tuple[Any, int]:
        """The parsed body (floats as Decimal) and its size in bytes."""
        parsed, body = await self.get_json_body(path, params)
        return parsed, len(body)

    async def get_json_body(self, path: str, params: dict[str, Any] | None = None, *,
                            loads: Callable[[bytes], Any] = loads_exact) -> tuple[Any, bytes]:
        """The body parsed by `loads` (by default floats as Decimal) and as received."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryableError),
            stop=self._stop,
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._get_once(path, params, loads)
        raise AssertionError("unreachable")

    def _stop(self, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        limit = getattr(error, "max_retries", None)
        retries = self.max_retries if limit is None else min(limit, self.max_retries)
        return stop_after_attempt(retries + 1)(state)

    def in_background(self) -> Upstream:
        """This upstream for a backfill: the same session, budget and policy, yielding to live requests."""
        clone = copy.copy(self)
        clone.background = True
        return clone

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            wait = min(retry_after, self.retry_after_cap)
            self.bucket.hold(wait)  # the whole budget waits, not only this request: live runs and backfill alike
            return wait
        return self._jitter(state)

    def _log_retry(self, state: RetryCallState) -> None:
        log.warning("upstream request failed, retrying", extra={
            "upstream": self.name, "attempt": state.attempt_number,
            "error": str(state.outcome.exception()), "wait_seconds": round(state.upcoming_sleep, 3)})

    async def _get_once(self, path: str, params: dict[str, Any] | None, loads) -> tuple[Any, bytes]:
        await self.bucket.take(self.background)
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            async with self.session.get(url, params=params, headers=self.headers) as response:
                if response.status == 429 or response.status >= 500:
                    body = await _read_limited(response, 4096)
                    raise RetryableError(
                        f"{self.name} answered HTTP {response.status}: {_excerpt(body)}",
                        retry_after=retry_after_seconds(response.headers.get("Retry-After")))
                if response.status >= 400:
                    body = await _read_limited(response, 4096)
                    raise UpstreamRefused(f"{self.name} answered HTTP {response.status}: {_excerpt(body)}",
                                          response.status)
                body = await _read_limited(response, MAX_BODY_BYTES)
                content_type = response.headers.get("Content-Type", "")
        except asyncio.TimeoutError:
            raise RetryableError(f"{self.name} did not answer within the timeout") from None
        except aiohttp.ClientConnectorDNSError as exc:
            raise RetryableError(f"{self.name} host name not resolved: {exc}", max_retries=DNS_RETRIES) from None
        except (aiohttp.ClientSSLError, aiohttp.InvalidURL) as exc:
            raise SourceError(f"{self.name} cannot connect: {exc.__class__.__name__}: {exc}") from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise RetryableError(f"{self.name} connection failed: {exc.__class__.__name__}: {exc}") from None
        return _parse(self.name, body, content_type, loads), body


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            if limit >= MAX_BODY_BYTES:
                raise SourceError(f"response body larger than {limit} bytes")
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(name: str, body: bytes, content_type: str, loads: Callable[[bytes], Any]) -> Any:
    try:
        return loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        if body.lstrip()[:1] == b"<":
            kind = f"an HTML page instead of JSON: {_excerpt(body)[:120]}"
        else:
            kind = f"a body that is not valid JSON ({exc})"
        raise SourceError(f"{name} sent {kind} [{content_type or 'no content type'}, {len(body)} bytes]") from None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None when absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": the date is in UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


def _excerpt(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return " ".join(text.split()) or "(empty body)"
