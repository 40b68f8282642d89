"""A bound on concurrent bulk exports: each holds a database connection for as long as it streams."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator


class ExportSlots:
    """take() yields True while a slot was free (and holds it), False when all are in use: never waits."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_use = 0

    @contextlib.contextmanager
    def take(self) -> Iterator[bool]:
        if self.in_use >= self.limit:
            yield False
            return
        self.in_use += 1
        try:
            yield True
        finally:
            self.in_use -= 1
