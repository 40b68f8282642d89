"""The change feed behind GET /stream: reads new rows of quote_changes when a notification says data changed, renders
each as a Server-Sent Event once and writes it to every open stream; sends heartbeats; prunes the replay window."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from service import metrics
from service.jsonutil import dumps
from service.replicas import ReadRouter
from service.sql import SQL

log = logging.getLogger(__name__)
READ_BATCH = 500  # changes read (and written to each stream) at once
FANOUT_SLICE = 25  # streams written to between two turns of the event loop (about 0.3 ms)
PRUNE_EVERY_SECONDS = 60.0
RETRY_SECONDS = 1.0
HEARTBEAT = b": keep-alive\n\n"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the latest state, with its event already written out."""
    seq: int
    source: str
    symbol: str
    event: bytes


def render(row: asyncpg.Record) -> Change:
    record = dict(row)
    seq = record.pop("seq")
    # the record's JSON as /data writes it (service.web.snapshots): same columns, same encoder
    event = b"id: %d\nevent: quote\ndata: %b\n\n" % (seq, dumps(record))
    return Change(seq, record["source"], record["symbol"], event)


def as_chunk(data: bytes) -> bytes:
    """`data` framed as one chunk of a chunked HTTP/1.1 body."""
    return b"%x\r\n%b\r\n" % (len(data), data)


HEARTBEAT_CHUNK = as_chunk(HEARTBEAT)


class Subscriber:
    """One open stream: its filters, and its connection once live. Events are written to the connection as they
    come, without a task per stream; what the connection has yet to send is its bounded queue: a client that lets
    it pass `limit` bytes (it stopped reading) is dropped, its connection cut, so it never holds memory or the
    others up. Before going live (while the opening and any missed changes are written) events wait in a list
    bounded the same way."""

    def __init__(self, source: str | None, symbol: str | None, limit: int, transport: asyncio.Transport | None):
        self.source, self.symbol, self.limit = source, symbol, limit
        self._transport = transport
        self._live = False
        self._chunked = False
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.last_sent = time.monotonic()
        self.finished = asyncio.Event()
        self.dropped = False
        self.closed = False

    def wants(self, change: Change) -> bool:
        return (self.source is None or change.source == self.source) and \
            (self.symbol is None or change.symbol == self.symbol)

    def offer(self, changes: list[Change], joined: bytes, chunk: bytes) -> None:
        """`changes` in order, their events `joined` (what a stream without filters is sent) and that as one HTTP
        chunk (framed once for all such streams)."""
        if self.closed:
            return
        if self.source is not None or self.symbol is not None:
            joined = b"".join([change.event for change in changes if self.wants(change)])
            if not joined:
                return
            chunk = None
        if self._live:
            self._send(joined, chunk)
            return
        self._pending.append(joined)
        self._pending_bytes += len(joined)
        if self._pending_bytes > self.limit:
            self._drop()

    def go_live(self, chunked: bool) -> None:
        """From now on events go straight to the connection (framed as chunks when the response is chunked)."""
        self._live, self._chunked = True, chunked
        if self._pending and not self.closed:
            self._send(b"".join(self._pending))
        self._pending.clear()

    @property
    def gone(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def ping(self) -> None:
        """A heartbeat comment (the feed's ticker sends one to streams quiet for a while)."""
        if self._live and not self.closed:
            self._send(HEARTBEAT, HEARTBEAT_CHUNK)

    def close(self) -> None:
        self.closed = True
        self.finished.set()

    def _send(self, data: bytes, chunk: bytes | None = None) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            self.close()  # the client went
            return
        if transport.get_write_buffer_size() > self.limit:
            self._drop()
            return
        transport.write((chunk or as_chunk(data)) if self._chunked else data)
        self.last_sent = time.monotonic()

    def _drop(self) -> None:
        self.dropped = True
        metrics.STREAM_DROPPED.inc()
        if self._transport is not None:
            self._transport.abort()
        self.close()


class ChangeFeed:
    """`position` is the newest change handed to subscribers; everything after it reaches every subscriber in
    sequence order. Reads go through the ReadRouter: a standby answers once it has replayed the change."""

    def __init__(self, reader: ReadRouter, primary: asyncpg.Pool, *, replay_seconds: float, read_timeout: float,
                 heartbeat_seconds: float):
        self.reader, self.primary = reader, primary
        self.heartbeat_seconds = heartbeat_seconds
        self.read_timeout = read_timeout
        self.replay_seconds = replay_seconds
        self.position = 0
        self.subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self.position = (await self.primary.fetchrow(SQL.select_quote_changes_bounds))["newest"]
        self._tasks = [asyncio.create_task(self._follow()), asyncio.create_task(self._prune()),
                       asyncio.create_task(self._heartbeat())]

    def changed(self, *_ignored) -> None:
        """Called for every notification (and listener reconnect): read what is new."""
        self._wake.set()

    def subscribe(self, subscriber: Subscriber) -> int:
        """Registers `subscriber`; returns the position it receives changes after."""
        self.subscribers.add(subscriber)
        metrics.STREAM_CLIENTS.set(len(self.subscribers))
        return self.position

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        metrics.STREAM_CLIENTS.set(len(self.subscribers))

    def open_streams(self) -> int:
        """How many streams are open, a client that left no longer counted: its stream ends now rather than at the
        next heartbeat (a reconnecting client would otherwise find its own old stream holding the last place)."""
        for subscriber in [s for s in self.subscribers if s.gone]:
            subscriber.close()
            self.unsubscribe(subscriber)
        return len(self.subscribers)

    def close_all(self) -> None:
        for subscriber in list(self.subscribers):
            subscriber.close()

    async def stop(self) -> None:
        self.close_all()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def changes_after(self, seq: int, upto: int) -> AsyncIterator[list[Change]]:
        """The changes in (seq, upto], a batch at a time, read like the live ones (a resumed client's missed
        changes)."""
        while seq < upto:
            wanted = min(READ_BATCH, upto - seq)
            rows = await self.reader.fetch(SQL.select_quote_changes_after, seq, wanted, timeout=self.read_timeout)
            yield [render(row) for row in rows if row["seq"] <= upto]
            if len(rows) < wanted:
                return
            seq = rows[-1]["seq"]

    async def _follow(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._read_new()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed could not read new changes; retrying", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_SECONDS)
                self._wake.set()

    async def _read_new(self) -> None:
        while True:
            rows = await self.reader.fetch(SQL.select_quote_changes_after, self.position, READ_BATCH,
                                           timeout=self.read_timeout)
            if not rows:
                return
            changes = [render(row) for row in rows]
            joined = b"".join([change.event for change in changes])
            chunk = as_chunk(joined)
            # set before the first offer: a subscriber registered from here on is given this position, is not
            # among those offered this batch, and gets exactly the changes after it
            self.position = changes[-1].seq
            subscribers = list(self.subscribers)
            for start in range(0, len(subscribers), FANOUT_SLICE):
                for subscriber in subscribers[start:start + FANOUT_SLICE]:
                    subscriber.offer(changes, joined, chunk)
                await asyncio.sleep(0)  # other requests get the loop between slices of a big fan-out
            metrics.STREAM_EVENTS.inc(len(rows))
            if len(rows) < READ_BATCH:
                return

    async def _heartbeat(self) -> None:
        # a stream quiet for half the interval is pinged at the next tick: never quiet longer than the interval
        half = self.heartbeat_seconds / 2
        while True:
            await asyncio.sleep(half)
            quiet_since = time.monotonic() - half
            for subscriber in list(self.subscribers):
                if subscriber.last_sent <= quiet_since or subscriber.gone:
                    subscriber.ping()  # (which also ends the stream of a client that left)

    async def _prune(self) -> None:
        while True:
            try:
                pruned = await self.primary.fetchval(SQL.delete_expired_quote_changes, self.replay_seconds)
                if pruned:
                    log.info("change feed pruned", extra={"changes": pruned})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed could not prune", extra={"error": str(exc)})
            self._wake.set()  # a notification lost in a listener outage is caught up here at the latest
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
