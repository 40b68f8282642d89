"""The sources: each turns its upstream into batches of normalized quotes with checkpoint positions."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from service.etl.records import Batch


class Source(Protocol):
    name: str

    def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        """Batches from the checkpoints on; `known` is each coin's newest observed_at already stored."""
