"""Backfill runs: each API source's historical endpoint over the coins already known, stored by the pipeline of
the live runs as a run with trigger 'backfill' (its own lock: a scheduled run of the source never waits for it)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg

from service.etl import normalize as n
from service.etl.pipeline import BACKFILL, RunOutcome, run_source
from service.etl.records import Batch, RunCounts
from service.etl.registry import BY_NAME
from service.etl.sources.history import Coin
from service.etl.upstream import Upstream
from service.settings import Settings
from service.sql import SQL

log = logging.getLogger(__name__)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Scope:
    """Which history to fill: the last `days` days of the coins with these `symbols` (None: all) or the `top` by
    rank (None: all)."""

    days: float
    symbols: tuple[str, ...] | None = None
    top: int | None = None


async def known_coins(pool: asyncpg.Pool, source: str, scope: Scope) -> list[Coin]:
    symbols = [s.strip().upper() for s in scope.symbols] if scope.symbols else None
    rows = await pool.fetch(SQL.select_backfill_coins, source, symbols, scope.top)
    return [Coin(r["coin_id"], r["symbol"], r["name"], n.match_key(r["symbol"], r["name"]), r["observed_at"])
            for r in rows]


async def backfill(pool: asyncpg.Pool, settings: Settings, upstreams: Mapping[str, Upstream], scope: Scope, *,
                   should_stop: Callable[[], bool] = lambda: False,
                   on_stored: Callable[[str, Batch, RunCounts], None] = lambda source, batch, counts: None,
                   on_started: Callable[[str, int | None], None] = lambda source, run_id: None) -> list[RunOutcome]:
    """One backfill run of each source of `upstreams`, concurrently; one's failure never stops the others."""
    names = list(upstreams)
    results = await asyncio.gather(*(
        backfill_source(pool, settings, name, upstreams[name], scope, should_stop=should_stop,
                        on_stored=lambda batch, counts, name=name: on_stored(name, batch, counts),
                        on_started=lambda run_id, name=name: on_started(name, run_id))
        for name in names), return_exceptions=True)
    outcomes = []
    for name, result in zip(names, results):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, BaseException):
            log.error("backfill crashed", exc_info=result, extra={"source": name})
            result = RunOutcome(name, "failed", error=f"crashed: {result.__class__.__name__}: {result}")
        outcomes.append(result)
    return outcomes


async def backfill_source(pool: asyncpg.Pool, settings: Settings, name: str, upstream: Upstream, scope: Scope, *,
                          should_stop: Callable[[], bool] = lambda: False,
                          on_stored: Callable[[Batch, RunCounts], None] = lambda batch, counts: None,
                          on_started: Callable[[int | None], None] = lambda run_id: None) -> RunOutcome:
    end = datetime.now(timezone.utc)
    days = scope.days
    if settings.history_retention_days:
        days = min(days, settings.history_retention_days)  # never fetch what retention would drop
    coins = await known_coins(pool, name, scope)
    module = BY_NAME[name].historical()
    source = module.build_history(settings, upstream.in_background(), pool, coins, end - timedelta(days=days), end)
    return await run_source(pool, source, trigger=BACKFILL, should_stop=should_stop, on_started=on_started,
                            on_stored=on_stored)


class BackgroundBackfill:
    """BACKFILL_DAYS in the serving process: each API source's backfill starts in the background after the
    source's first successful run (its coins are then known), and again after a later one while it has not
    completed (failed, or skipped for another process's); stopped at a batch boundary on shutdown."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, upstreams: Mapping[str, Upstream]):
        self.pool = pool
        self.settings = settings
        self.upstreams = dict(upstreams)
        self.tasks: dict[str, asyncio.Task] = {}
        self._stopping = False

    def source_ran(self, outcome: RunOutcome) -> None:
        name = outcome.source
        if outcome.status != "success" or name not in self.upstreams or self._stopping:
            return
        previous = self.tasks.get(name)
        if previous is not None and not (previous.done() and not _completed(previous)):
            return
        scope = Scope(days=self.settings.backfill_days)
        task = asyncio.create_task(backfill_source(self.pool, self.settings, name, self.upstreams[name], scope,
                                                   should_stop=lambda: self._stopping))
        task.add_done_callback(_log_outcome)
        self.tasks[name] = task

    async def stop(self, grace: float) -> None:
        self._stopping = True
        running = [task for task in self.tasks.values() if not task.done()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=2)


def _completed(task: asyncio.Task) -> bool:
    return not task.cancelled() and task.exception() is None and task.result().status == "success"


def _log_outcome(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    if task.exception() is not None:
        log.error("background backfill crashed", exc_info=task.exception())
        return
    outcome = task.result()
    log.info("background backfill finished", extra={"source": outcome.source, "status": outcome.status,
                                                    "error": outcome.error, "points": outcome.counts.inserted})
