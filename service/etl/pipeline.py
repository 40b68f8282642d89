"""One source's run: lock, open the run row, store each batch with its checkpoint in one transaction, close."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from service import metrics
from service.etl import turns
from service.etl.history import insert_history
from service.etl.identity.links import relink
from service.etl.records import Batch, RunCounts, Staged
from service.etl.rejects import write_rejects
from service.etl.sources import Source
from service.jsonutil import dumps
from service.logs import run_id_var, source_var
from service.sql import SQL

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
_FINISH_TIMEOUT = 3.0


@dataclass
class RunOutcome:
    source: str
    status: str  # success | failed | skipped
    run_id: int | None = None
    error: str | None = None
    counts: RunCounts = field(default_factory=RunCounts)


BACKFILL = "backfill"


async def run_source(pool: asyncpg.Pool, source: Source, *, trigger: str = "schedule",
                     should_stop: Callable[[], bool] = lambda: False,
                     on_started: Callable[[int | None], None] = lambda run_id: None,
                     min_gap_seconds: float = 0.0,
                     on_stored: Callable[[Batch, RunCounts], None] = lambda batch, counts: None) -> RunOutcome:
    """One run of `source`; `min_gap_seconds` skips it when any replica started one that recently; `on_stored`
    hears of each batch once committed, with the run's counts so far.

    A backfill (trigger "backfill") takes a lock of its own, never the source's: a scheduled run of the source
    goes on beside it, and two backfills of one source never run at once."""
    source_var.set(source.name)
    backfill = trigger == BACKFILL
    lock, unlock = SQL.try_lock_source, SQL.unlock_source
    if backfill:
        lock, unlock = SQL.try_lock_backfill, SQL.unlock_backfill
    try:
        connection = await pool.acquire()
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        on_started(None)
        log.error("ETL run could not reach the database", extra={"error": str(exc)})
        return RunOutcome(source.name, "failed", error=f"database unavailable: {exc}")
    try:
        if not await connection.fetchval(lock, source.name):
            on_started(None)
            what = "backfill" if backfill else "source"
            log.info(f"{what} is being run by another process; skipped")
            return RunOutcome(source.name, "skipped", error=f"another process is running this {what}")
        try:
            if min_gap_seconds and await connection.fetchval(SQL.select_recent_success_exists, source.name,
                                                             float(min_gap_seconds)):
                on_started(None)
                log.info("source ran recently (another replica); skipped")
                return RunOutcome(source.name, "skipped", error="ran recently on another replica")
            return await _locked_run(pool, connection, source, trigger, should_stop, on_started, on_stored)
        finally:
            await _quietly(lambda: connection.fetchval(unlock, source.name))
    finally:
        await _quietly(lambda: pool.release(connection))


async def _locked_run(pool, connection, source, trigger, should_stop, on_started, on_stored) -> RunOutcome:
    backfill = trigger == BACKFILL
    abandoned = await connection.fetch(SQL.close_abandoned_runs, source.name, backfill)
    if abandoned:
        log.warning("closed runs left behind by a dead process", extra={"runs": [r["id"] for r in abandoned]})
    run_id = await connection.fetchval(SQL.insert_run, source.name, trigger, WORKER)
    run_id_var.set(run_id)
    on_started(run_id)
    outcome = RunOutcome(source.name, "running", run_id)
    drift: dict[str, Any] = {}
    started = time.monotonic()
    log.info("ETL run started", extra={"trigger": trigger})
    try:
        stager = source.stager(run_id)

        async def prepare(lane) -> None:
            for statement in (SQL.create_stage_quotes, SQL.create_stage_coins):
                await lane.execute(statement)
            await stager.prepare(lane)

        await prepare(connection)
        checkpoint_rows = await connection.fetch(SQL.select_checkpoints, source.name)
        checkpoints = {r["stream"]: r["position"] for r in checkpoint_rows}
        known_rows = await connection.fetch(SQL.select_latest_observed, source.name)
        known = {r["coin_id"]: r["observed_at"] for r in known_rows}

        async def stage(lane, batch: Batch) -> Staged:
            staged = await stager.stage(lane, batch)
            if staged.quotes:
                await lane.execute(SQL.insert_stage_coins)
            return staged

        async def write(lane, batch: Batch, staged: Staged) -> Callable[[], None]:
            _merge_drift(drift, batch.drift)
            counts = await _write(lane, run_id, source.name, batch, staged, outcome.counts, drift)

            def committed() -> None:
                if backfill:
                    metrics.observe_backfill_batch(source.name, counts.inserted - outcome.counts.inserted,
                                                   len(staged.rejects), batch.progress)
                else:
                    metrics.observe_batch(source.name, counts.inserted - outcome.counts.inserted,
                                          counts.updated - outcome.counts.updated, len(staged.rejects))
                outcome.counts = counts
                on_stored(batch, counts)
            return committed

        batches = source.batches(checkpoints, known)
        async with contextlib.aclosing(batches), turns.lanes(pool, connection, prepare) as lanes:
            await turns.store_in_turn(lanes, batches, stager.keep_raw, stage, write, should_stop)
        await relink(connection, run_id)  # links follow the data: a coin first seen alone joins its twin now
        outcome.status = "success"
    except asyncio.CancelledError:
        outcome.status, outcome.error = "failed", "cancelled by shutdown; resumes from its checkpoint"
        await _finish(connection, outcome, drift)
        raise
    except Exception as exc:  # one source's failure is recorded, never spread to the others
        outcome.status, outcome.error = "failed", _describe(exc)
        _merge_drift(drift, getattr(exc, "drift", None) or {})
    await _finish(connection, outcome, drift)
    if backfill:
        metrics.observe_backfill_run(source.name, outcome.status)
    else:
        metrics.observe_run(source.name, outcome.status, time.monotonic() - started, outcome.counts)
    return outcome


async def _write(connection, run_id: int, source: str, batch: Batch, staged: Staged, counts: RunCounts,
                 drift: dict) -> RunCounts:
    """Assets, history, latest state, rejects, the checkpoint and the run's progress, in the transaction that
    staged the batch (and stored its raw records): all or nothing; returns the run's counts with this batch."""
    inserted = updated = 0
    if staged.quotes:
        await connection.execute(SQL.insert_assets)
        await connection.execute(SQL.insert_asset_sources)
        inserted = await insert_history(connection, run_id, staged.missing)
        latest = await connection.fetchrow(SQL.upsert_quotes_latest, run_id)
        # a coin new to the latest state is already counted by its new observation in `inserted`
        updated = latest["updated"]
    await write_rejects(connection, run_id, source, staged.rejects)
    await connection.execute(SQL.upsert_checkpoint, source, batch.stream, _json(batch.position))
    if batch.more_positions:
        await connection.execute(SQL.upsert_checkpoints, source, _json(batch.more_positions))
    if inserted or updated:
        await connection.execute(SQL.notify_quotes_changed, source)
    counts = counts.with_batch(batch, staged, inserted, updated)
    await connection.execute(SQL.update_run_progress, run_id, *counts.as_args(), _json(drift))
    if batch.progress is not None:
        await connection.execute(SQL.update_run_backfill_progress, run_id,
                                 _json({**batch.progress, "points_stored": counts.inserted}))
    return counts


async def _finish(connection, outcome: RunOutcome, drift: dict) -> None:
    """Closes the run row; if the database is gone the row stays 'running' and the next run closes it."""
    try:
        await asyncio.wait_for(asyncio.shield(connection.execute(
            SQL.finish_run, outcome.run_id, outcome.status, outcome.error, *outcome.counts.as_args(),
            _json(drift))), _FINISH_TIMEOUT)
    except (asyncio.CancelledError, Exception) as exc:  # noqa: B014 - recording is best effort here
        # a WARNING: the run's one ERROR line (below, when it failed) is its outcome, not this bookkeeping
        log.warning("could not record the end of the run", extra={"error": str(exc)})
    level = logging.INFO if outcome.status == "success" else logging.ERROR
    log.log(level, "ETL run finished", extra={
        "status": outcome.status, "error": outcome.error, "rows_read": outcome.counts.read,
        "rows_inserted": outcome.counts.inserted, "rows_rejected": outcome.counts.rejected})


def _merge_drift(total: dict, found: dict) -> None:
    for key, value in found.items():
        if isinstance(value, dict):
            total.setdefault(key, {}).update(value)
        elif isinstance(value, list):
            merged = total.setdefault(key, [])
            merged.extend(v for v in value if v not in merged)
        else:
            total[key] = value


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
        return f"database error: {exc.__class__.__name__}: {text}"
    return text


def _json(value: Any) -> str:
    return dumps(value).decode()


async def _quietly(step: Callable[[], Awaitable]) -> None:
    # a callable, because a connection lost mid-run raises InterfaceError on the call itself, not on await
    try:
        await asyncio.wait_for(step(), _FINISH_TIMEOUT)
    except Exception as exc:
        log.debug("cleanup step failed", extra={"error": str(exc)})
