"""A run's batches stored in order on up to two connections in turn: one stages batch N+1 while the other writes N."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from service.etl.records import Batch


class StopRequested(Exception):
    """The process is shutting down; the run stops between batches, its checkpoint kept."""


# keep_raw(connection, batch); stage(connection, batch) -> what write needs; write(connection, batch, staged) ->
# what to do once committed: all three in the batch's transaction
KeepRaw = Callable[[asyncpg.Connection, Batch], Awaitable[None]]
Stage = Callable[[asyncpg.Connection, Batch], Awaitable[Any]]
Write = Callable[[asyncpg.Connection, Batch, Any], Awaitable[Callable[[], None]]]


async def store_in_turn(connections: Sequence[asyncpg.Connection], batches: AsyncIterator[Batch], keep_raw: KeepRaw,
                        stage: Stage, write: Write, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Stores every batch in one transaction of its own, in order; the first failure stops the run and is raised.

    A batch's raw records are kept in batch order, after the batch before kept its own; its staging (this
    connection's temporary tables only) overlaps anything; its writes follow the commit of the batch before.
    So a batch only ever waits in the database for an earlier one (a raw record both hold, a row both write),
    never for a later one, which waits for it in Python where no deadlock detector could see."""
    free: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    for connection in connections:
        free.put_nowait(connection)
    in_flight: list[asyncio.Task] = []
    kept_before: asyncio.Event | None = None

    async def store(connection, batch: Batch, kept_before: asyncio.Event | None, kept: asyncio.Event,
                    written_before: asyncio.Task | None) -> None:
        async with connection.transaction():
            try:
                if kept_before is not None:
                    await kept_before.wait()
                await keep_raw(connection, batch)
            finally:
                kept.set()
            result = await stage(connection, batch)
            if written_before is not None:
                await written_before  # raises its failure: this batch then rolls back too
            committed = await write(connection, batch, result)
        committed()

    try:
        async for batch in batches:
            connection = await free.get()
            _raise_failure(in_flight)
            kept = asyncio.Event()
            task = asyncio.ensure_future(store(connection, batch, kept_before, kept,
                                               in_flight[-1] if in_flight else None))
            task.add_done_callback(lambda _, connection=connection: free.put_nowait(connection))
            in_flight = [t for t in in_flight if not t.done()] + [task]
            kept_before = kept
            if should_stop():
                raise StopRequested("stopped by shutdown at a batch boundary; resumes from its checkpoint")
    except asyncio.CancelledError:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        raise
    except BaseException:
        # the batches handed over are still stored (a source that fails late, such as a CSV file with a bad
        # header among good ones, keeps what it read; a stop keeps its checkpoint); their own failure comes first
        await asyncio.gather(*in_flight, return_exceptions=True)
        _raise_failure(in_flight)
        raise
    await asyncio.gather(*in_flight, return_exceptions=True)
    _raise_failure(in_flight)


def _raise_failure(tasks: list[asyncio.Task]) -> None:
    """Raises the first failure among the finished tasks (a later batch fails with the same one)."""
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()


@contextlib.asynccontextmanager
async def lanes(pool: asyncpg.Pool, connection: asyncpg.Connection,
                prepare: Callable[[asyncpg.Connection], Awaitable[None]],
                timeout: float = 1.0) -> AsyncIterator[list[asyncpg.Connection]]:
    """The run's connection plus, when the pool can spare one within `timeout`, a second one prepared alike."""
    try:
        second = await pool.acquire(timeout=timeout)
    except asyncio.TimeoutError:
        # a pool that cannot spare a second connection this soon (or ever: DB_POOL_MAX_SIZE=1) stores the
        # batches one after another on the run's own connection
        yield [connection]
        return
    try:
        await prepare(second)
        yield [connection, second]
    finally:
        await pool.release(second)
