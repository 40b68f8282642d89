"""One computation shared by concurrent callers: many clients asking the same thing at once (load balancers'
/health under load) cost one database round trip, not one each."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class Shared:
    def __init__(self) -> None:
        self._pending: asyncio.Future | None = None

    async def get(self, compute: Callable[[], Awaitable[Any]]) -> Any:
        """The value being computed, or a fresh computation's when none is running."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._run(compute))
        # shielded: a caller that goes away never cancels the others' answer
        return await asyncio.shield(self._pending)

    async def _run(self, compute: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await compute()
        finally:
            self._pending = None
