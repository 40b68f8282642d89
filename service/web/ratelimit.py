"""Per-client-address token buckets for the API: `rate` requests a second, bursts up to twice that."""
from __future__ import annotations

import math
import time


class ClientRateLimiter:
    def __init__(self, rate: float, *, max_clients: int = 100_000):
        self.rate = rate
        self.capacity = rate * 2
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before the next one will."""
        now = time.monotonic()
        tokens, updated = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        if tokens >= 1:
            self._remember(client, tokens - 1, now)
            return 0.0
        self._remember(client, tokens, now)
        return (1 - tokens) / self.rate

    def retry_after_header(self, wait: float) -> str:
        return str(max(1, math.ceil(wait)))

    def _remember(self, client: str, tokens: float, now: float) -> None:
        if len(self._buckets) >= self.max_clients and client not in self._buckets:
            # forget clients whose buckets are full again: they carry no state worth keeping
            full = [c for c, (t, u) in self._buckets.items() if t + (now - u) * self.rate >= self.capacity]
            for stale in full:
                del self._buckets[stale]
            if len(self._buckets) >= self.max_clients:
                self._buckets.clear()
        self._buckets[client] = (tokens, now)
