"""The sources: each reads its upstream into batches, and its stager turns a batch into staged quotes."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from service.etl.records import Batch, Staged


class Stager(Protocol):
    """Stages one source's batches into stage_quotes, in the transaction that stores each batch."""

    async def prepare(self, connection: asyncpg.Connection) -> None:
        """Creates the per-connection tables `stage` needs on each connection (stage_quotes exists already)."""

    async def keep_raw(self, connection: asyncpg.Connection, batch: Batch) -> None:
        """Stores the batch's raw records as received (called in batch order)."""

    async def stage(self, connection: asyncpg.Connection, batch: Batch) -> Staged:
        """Puts the batch's valid quotes into stage_quotes; says what was read and refused. Runs while other
        batches are staged and written on other connections: it writes this connection's temporary tables only."""


class Source(Protocol):
    name: str

    def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        """Batches from the checkpoints on; `known` is each coin's newest observed_at already stored."""

    def stager(self, run_id: int) -> Stager:
        """The stager of this run's batches."""
