"""Stages CSV batches one ahead on a second connection, so PostgreSQL normalizes batch N+1 while storing N."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg

from service.etl.records import Batch
from service.sql import SQL

if TYPE_CHECKING:
    from service.etl.csv.stager import CsvStager

# a pool that cannot spare a second connection this soon (or ever: DB_POOL_MAX_SIZE=1) stages in the batch's own
# transaction instead, for the rest of the run
_ACQUIRE_TIMEOUT = 1.0


async def read_ahead(stager: CsvStager, batches: AsyncIterator[Batch]) -> AsyncIterator[Batch]:
    """The batches, each read and staged while the caller stores the one before. Only raw blocks are stored
    here (once each, whoever stores them): the caller's transaction alone writes a batch's quotes and its
    checkpoint."""
    connection: asyncpg.Connection | None = None
    alone, first = False, True

    async def next_batch() -> Batch | None:
        nonlocal connection, alone, first
        try:
            batch = await anext(batches)
        except StopAsyncIteration:
            return None
        if not batch.payload.data:
            return batch
        if first or alone:
            # nothing to overlap with yet: the first block is staged by the storing transaction itself, which
            # spares a one-block run (an appended tail) the second connection and the copy between the two
            first = False
            return batch
        if connection is None:
            try:
                connection = await stager.pool.acquire(timeout=_ACQUIRE_TIMEOUT)
            except asyncio.TimeoutError:
                alone = True
                return batch
            for statement in (SQL.create_stage_quotes, SQL.create_stage_csv):
                await connection.execute(statement)
        return await stager.stage_ahead(connection, batch)

    pending = asyncio.ensure_future(next_batch())
    try:
        while (batch := await pending) is not None:
            pending = asyncio.ensure_future(next_batch())
            yield batch
    finally:
        # the batch being read or staged is dropped (the caller stopped or failed), its error unseen
        pending.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await pending
        await batches.aclose()
        if connection is not None:
            await stager.pool.release(connection)
