"""POST /etl/run's cooldown: API-triggered runs at most once per ETL_TRIGGER_COOLDOWN_SECONDS."""
from __future__ import annotations

import time


class TriggerCooldown:
    """The least time between two runs started through the API (ETL_TRIGGER_COOLDOWN_SECONDS; 0: none);
    the first one after start-up is always allowed."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._last: float | None = None

    def wait(self) -> float:
        """Seconds until a trigger is allowed again; 0 when it is now."""
        if self._last is None or self.seconds <= 0:
            return 0.0
        return max(0.0, self._last + self.seconds - self._clock())

    def started(self) -> None:
        self._last = self._clock()
