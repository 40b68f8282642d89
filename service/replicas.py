"""Read replicas: the API's quote reads go to a hot standby that has replayed the data they must see, else to
the primary. A standby down, promoted or too far behind is skipped and looked at again later."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import asyncpg

from service import metrics
from service.sql import SQL

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
MAX_LAG_BYTES = 64 * 1024 * 1024  # a standby this far behind is skipped until it catches up
MAX_LAG_SECONDS = 30.0
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)  # a down standby is tried again after these pauses
CHECK_TIMEOUT = 1.0  # a standby slower than this to say its position is slow: the primary answers instead
_CONNECTION_ERRORS = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                      asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
                      asyncpg.TooManyConnectionsError, asyncpg.InvalidAuthorizationSpecificationError,
                      asyncpg.InvalidCatalogNameError)


def parse_lsn(text: str | None) -> int | None:
    """A pg_lsn as text ('16/B374D848') to a number that orders like WAL positions."""
    if text is None:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def label(dsn: str) -> str:
    """host:port/database of a DSN, never its password: how logs, /health and metrics name a standby."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", ["localhost"])[0]
    port = parts.port or query.get("port", ["5432"])[0]
    return f"{host}:{port}{parts.path or '/'}"


@dataclass
class Replica:
    """One standby: its pool (no connection until first used) and what the last look at it found."""
    name: str
    dsn: str
    pool: asyncpg.Pool | None = None
    state: str = "unknown"  # up | lagging | down | not_standby | unknown
    replay_lsn: int | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str | None = None
    failures: int = 0
    retry_at: float = 0.0
    # (when, primary WAL position) of recent looks at the primary: how long ago the standby's position was current
    _primary_seen: collections.deque = field(default_factory=lambda: collections.deque(maxlen=120))

    @property
    def usable(self) -> bool:
        return self.state == "up" and self.pool is not None

    def describe(self) -> dict:
        return {"name": self.name, "state": self.state, "lag_bytes": self.lag_bytes,
                "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
                "replay_lsn": None if self.replay_lsn is None else format_lsn(self.replay_lsn), "error": self.error}

    def went_down(self, exc: BaseException) -> None:
        self.state, self.error = "down", f"{type(exc).__name__}: {exc}"
        self.retry_at = time.monotonic() + RETRY_SECONDS[min(self.failures, len(RETRY_SECONDS) - 1)]
        self.failures += 1
        metrics.REPLICA_UP.labels(self.name).set(0)
        if self.pool is not None:
            # its connections are dead, and a pool would keep reconnecting on its own: a new one when it is back
            self.pool.terminate()
            self.pool = None


class ReadRouter:
    """fetch() like a pool's, on a standby that has replayed `required_lsn` (the primary's WAL position after the
    newest data change the API knows of), else on the primary. With no standbys it is the primary's pool."""

    def __init__(self, primary: asyncpg.Pool, dsns: tuple[str, ...] = (), *, pool_factory=None):
        self.primary = primary
        self.replicas = [Replica(label(dsn), dsn) for dsn in dsns]
        self.required_lsn: int | None = None  # None: not known (listener down), so only the primary is safe
        self._pool_factory = pool_factory
        self._next = 0
        self._monitor: asyncio.Task | None = None
        # the read counters, looked up once: a labels() lookup per query costs as much as the routing itself
        self._reads = {name: metrics.DB_READS.labels(name) for name in ("primary", *(r.name for r in self.replicas))}

    def data_changed(self, lsn: str | None) -> None:
        """Called by the change listener with the primary's WAL position at (after) the commit it heard of."""
        self.required_lsn = parse_lsn(lsn)

    async def start(self) -> None:
        if self.replicas:
            self._monitor = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for replica in self.replicas:
            if replica.pool is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(replica.pool.close(), timeout=5)

    async def fetch(self, query: str, *args, timeout: float | None = None) -> list[asyncpg.Record]:
        required = self.required_lsn
        if required is not None:
            for replica in self._usable():
                rows = await self._try(replica, required, query, args, timeout)
                if rows is not None:
                    self._reads[replica.name].inc()
                    return rows
        self._reads["primary"].inc()
        return await self.primary.fetch(query, *args, timeout=timeout)

    @contextlib.asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A connection held for a long read (an export): a standby's that has replayed `required_lsn`, else the
        primary's. Checked once, when taken: replay only moves forward while the connection lives."""
        required = self.required_lsn
        for replica in self._usable() if required is not None else ():
            held = await self._take(replica, required, timeout)
            if held is not None:
                pool, connection = held
                metrics.DB_READS.labels(replica.name).inc()
                try:
                    yield connection
                finally:
                    await pool.release(connection)
                return
        metrics.DB_READS.labels("primary").inc()
        async with self.primary.acquire(timeout=timeout) as connection:
            yield connection

    async def _take(self, replica: Replica, required: int,
                    timeout: float | None) -> tuple[asyncpg.Pool, asyncpg.Connection] | None:
        pool = replica.pool
        if pool is None:
            return None
        try:
            connection = await pool.acquire(timeout=timeout)
        except asyncio.CancelledError:
            raise
        except Exception:  # down or busy: the primary serves this one; the monitor judges the standby
            return None
        try:
            if await connection.fetchval(SQL.select_replay_reached, format_lsn(required), timeout=CHECK_TIMEOUT):
                return pool, connection
            metrics.REPLICA_FALLBACKS.labels(replica.name, "behind").inc()
        except asyncio.CancelledError:
            await pool.release(connection)
            raise
        except Exception:
            metrics.REPLICA_FALLBACKS.labels(replica.name, "error").inc()
        await pool.release(connection)
        return None

    def describe(self) -> list[dict]:
        return [replica.describe() for replica in self.replicas]

    def _usable(self) -> list[Replica]:
        usable = [r for r in self.replicas if r.usable]
        if usable:  # round robin over the usable ones
            self._next = (self._next + 1) % len(usable)
            usable = usable[self._next:] + usable[:self._next]
        return usable

    async def _try(self, replica: Replica, required: int, query: str, args, timeout) -> list | None:
        """The rows from this standby, or None (it has not replayed `required`, or it failed) for the next."""
        pool = replica.pool
        if pool is None:  # went down since it was picked
            return None
        try:
            # waiting for a free connection is the pool's business (the request's deadline bounds it), not a fault
            async with pool.acquire() as connection:
                # replay only moves forward while a connection lives, so what this says holds for the query after
                # it; the polled position may be older, or from before a restart that went back in the WAL
                if not await connection.fetchval(SQL.select_replay_reached, format_lsn(required),
                                                 timeout=CHECK_TIMEOUT):
                    metrics.REPLICA_FALLBACKS.labels(replica.name, "behind").inc()
                    return None
                return await connection.fetch(query, *args, timeout=timeout)
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            metrics.REPLICA_FALLBACKS.labels(replica.name, "slow").inc()
        except _CONNECTION_ERRORS as exc:
            log.warning("standby failed a read; it is skipped until it answers again",
                        extra={"replica": replica.name, "error": str(exc)})
            replica.went_down(exc)
            metrics.REPLICA_FALLBACKS.labels(replica.name, "down").inc()
        except Exception as exc:  # e.g. a query cancelled by a recovery conflict: the primary answers it instead
            log.info("standby could not answer a read; the primary does",
                     extra={"replica": replica.name, "error": str(exc)})
            metrics.REPLICA_FALLBACKS.labels(replica.name, "error").inc()
        return None

    async def _watch(self) -> None:
        while True:
            try:
                primary_lsn = parse_lsn(await self.primary.fetchval(SQL.select_wal_position, timeout=5))
            except asyncio.CancelledError:
                raise
            except Exception:
                primary_lsn = None  # the primary's own outage is /health's business; standbys are still looked at
            now = time.monotonic()
            await asyncio.gather(*(self._look(replica, primary_lsn, now) for replica in self.replicas))
            await asyncio.sleep(POLL_SECONDS)

    async def _look(self, replica: Replica, primary_lsn: int | None, now: float) -> None:
        if replica.state == "down" and now < replica.retry_at:
            return
        if primary_lsn is not None:
            replica._primary_seen.append((now, primary_lsn))
        try:
            if replica.pool is None:
                replica.pool = await self._pool_factory(replica.dsn)
            row = await replica.pool.fetchrow(SQL.select_replay_position, timeout=5)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if replica.state != "down":
                log.warning("standby unreachable; reads go elsewhere", extra={"replica": replica.name,
                                                                              "error": str(exc)})
            replica.went_down(exc)
            return
        replica.failures, replica.error = 0, None
        if not row["in_recovery"]:
            # a promoted standby no longer follows this primary: reading it could show another history
            replica.state, replica.error = "not_standby", "not in recovery (promoted?)"
            metrics.REPLICA_UP.labels(replica.name).set(0)
            return
        replica.replay_lsn = parse_lsn(row["replay_lsn"])
        _measure_lag(replica, primary_lsn, now)
        behind = (replica.lag_bytes or 0) > MAX_LAG_BYTES or (replica.lag_seconds or 0) > MAX_LAG_SECONDS
        if behind and replica.state != "lagging":
            log.warning("standby too far behind; skipped until it catches up", extra=replica.describe())
        elif not behind and replica.state != "up":
            log.info("standby serves reads", extra={"replica": replica.name})
        replica.state = "lagging" if behind else "up"
        metrics.REPLICA_UP.labels(replica.name).set(0 if behind else 1)


def _measure_lag(replica: Replica, primary_lsn: int | None, now: float) -> None:
    replay = replica.replay_lsn
    if replay is None or primary_lsn is None:
        return
    replica.lag_bytes = max(0, primary_lsn - replay)
    # how long ago the primary stood where the standby stands now (0 when it has everything the primary had)
    passed_at = next((seen_at for seen_at, position in replica._primary_seen if position > replay), None)
    replica.lag_seconds = 0.0 if passed_at is None else now - passed_at
    metrics.REPLICA_LAG_BYTES.labels(replica.name).set(replica.lag_bytes)
    metrics.REPLICA_LAG_SECONDS.labels(replica.name).set(replica.lag_seconds)
