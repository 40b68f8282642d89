"""The latest state held in memory between committed ETL batches, so /data pages without a query."""
from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field

import asyncpg
import orjson

from service.jsonutil import dumps
from service.replicas import ReadRouter
from service.sql import SQL

_BOOT = time.time_ns()
_KEEP_SNAPSHOTS = 4
_PIN_SECONDS = 600.0


def order_key(row: dict, column: str, descending: bool) -> tuple:
    """A total order for one sort: nulls last, then source and coin id to break ties."""
    value = row[column]
    tail = (row["source"], row["coin_id"])
    if value is None:
        return (1, 0, *tail)
    if isinstance(value, str):
        value = tuple(-ord(ch) for ch in value) + (1,) if descending else value
    elif descending:
        value = -value
    return (0, value, *tail)


@dataclass
class Snapshot:
    version: str
    rows: list[dict]
    loaded_at: float = field(default_factory=time.monotonic)
    _orders: dict[str, tuple[list[dict], list[tuple]]] = field(default_factory=dict)

    def ordered(self, column: str, descending: bool) -> tuple[list[dict], list[tuple]]:
        """The rows in this order and their order keys, computed once per sort."""
        name = f"{'-' if descending else ''}{column}"
        if name not in self._orders:
            keyed = sorted(((order_key(r, column, descending), r) for r in self.rows), key=lambda kr: kr[0])
            self._orders[name] = ([r for _, r in keyed], [k for k, _ in keyed])
        return self._orders[name]

    @staticmethod
    def after(keys: list[tuple], key: tuple) -> int:
        return bisect.bisect_right(keys, key)


class Snapshots:
    """The current snapshot, reloaded after each change, and a few older ones that open cursors still read."""

    def __init__(self, pool: asyncpg.Pool | ReadRouter):
        self.pool = pool
        self._current: Snapshot | None = None
        self._older: dict[str, Snapshot] = {}
        self._generation = 0
        self._current_generation = -1
        self._lock = asyncio.Lock()

    def invalidate(self, *_ignored) -> None:
        self._generation += 1

    @property
    def generation(self) -> int:
        """Moves on with every committed change (and listener reconnect): answers of an older one are stale."""
        return self._generation

    @property
    def data_version(self) -> str:
        """The generation as a token unique to this process, fit for an ETag (a restart starts over at 0)."""
        return f"{_BOOT:x}.{self._generation}"

    async def current(self) -> Snapshot:
        if self._current is not None and self._current_generation == self._generation:
            return self._current
        async with self._lock:
            if self._current is None or self._current_generation != self._generation:
                generation = self._generation
                rows = [_row(record) for record in await self.pool.fetch(SQL.select_latest_all)]
                self._retire(self._current)
                self._current = Snapshot(version=f"{time.time_ns():x}", rows=rows)
                self._current_generation = generation
        return self._current

    def pinned(self, version: str) -> Snapshot | None:
        if self._current is not None and self._current.version == version:
            return self._current
        return self._older.get(version)

    def _retire(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        self._older[snapshot.version] = snapshot
        now = time.monotonic()
        for version, old in list(self._older.items()):
            if now - old.loaded_at > _PIN_SECONDS:
                del self._older[version]
        while len(self._older) > _KEEP_SNAPSHOTS:
            self._older.pop(next(iter(self._older)))


def _row(record: asyncpg.Record) -> dict:
    row = dict(record)
    row["json"] = orjson.Fragment(dumps(row))
    return row
