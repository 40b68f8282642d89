"""One computation shared by concurrent callers and reused while it is recent and nothing it read has changed:
load balancers' and monitors' /health under load cost a database round trip a second, not one each, and a change
(a notification) is seen by the next caller."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class Shared:
    def __init__(self, max_age_seconds: float = 0.0) -> None:
        self.max_age_seconds = max_age_seconds
        self._version = 0  # moves on with every change heard of (invalidate)
        self._pending: asyncio.Future | None = None
        self._pending_version = -1
        self._value: Any = None
        self._value_version = -1
        self._value_at = 0.0

    def invalidate(self, *_ignored) -> None:
        """Something the computation reads has changed: the next caller gets a fresh one."""
        self._version += 1

    async def get(self, compute: Callable[[], Awaitable[Any]]) -> Any:
        """The latest value if recent and unchanged since; else the one being computed since the last change; else a
        fresh computation's."""
        if self._value_version == self._version and time.monotonic() - self._value_at <= self.max_age_seconds:
            return self._value
        if self._pending is None or self._pending_version != self._version:
            self._pending_version = self._version
            self._pending = asyncio.ensure_future(self._run(compute, self._version))
        # shielded: a caller that goes away never cancels the others' answer
        return await asyncio.shield(self._pending)

    async def _run(self, compute: Callable[[], Awaitable[Any]], version: int) -> Any:
        started = time.monotonic()
        try:
            value = await compute()
        finally:
            if self._pending_version == version:
                self._pending = None
        if version == self._version:  # nothing changed while it ran: the value may be reused
            self._value, self._value_version, self._value_at = value, version, started
        return value
