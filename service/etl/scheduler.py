"""When runs happen: once at start-up, then every interval from the previous start; never two at once."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import asyncpg

from service.etl.pipeline import RunOutcome, run_source
from service.etl.sources import Source

log = logging.getLogger(__name__)
PROCESS_STARTED = time.time()


class RunInProgress(Exception):
    """A run of the sources is already going on in this process."""


class Scheduler:
    def __init__(self, pool: asyncpg.Pool, sources: list[Source], *, interval: float, on_startup: bool,
                 after_run: Callable[[], Awaitable[None]] | None = None,
                 on_outcome: Callable[[RunOutcome], None] | None = None):
        self.pool = pool
        self.after_run = after_run  # history partition upkeep (service.partitions.maintain) after every run
        self.on_outcome = on_outcome  # hears of each source's outcome (the background backfill starts on one)
        self.sources = sources
        self.interval = interval
        self.on_startup = on_startup
        self._current: asyncio.Future | None = None
        self._stopping = False
        # wall-clock time the loop starts its next run (None until the loop runs); /health and the logs show it
        self.next_run_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self._current is not None and not self._current.done()

    async def run_all(self, trigger: str = "schedule",
                      on_started: Callable[[str, int | None], None] = lambda s, r: None,
                      min_gap: float = 0.0) -> list[RunOutcome]:
        """Every source concurrently; one's failure never stops the others. A source that some replica
        started less than `min_gap` seconds ago is skipped."""
        if self.running:
            raise RunInProgress()
        # return_exceptions: an unexpected crash of one source must not leave the others running unwatched
        self._current = asyncio.ensure_future(asyncio.gather(*(
            run_source(self.pool, source, trigger=trigger, should_stop=lambda: self._stopping,
                       on_started=lambda run_id, name=source.name: on_started(name, run_id),
                       min_gap_seconds=min_gap)
            for source in self.sources), return_exceptions=True))
        try:
            results = await self._current
        finally:
            self._current = None
        if self.after_run is not None and not self._stopping:
            await self.after_run()
        outcomes = [_outcome(source, result) for source, result in zip(self.sources, results)]
        if self.on_outcome is not None:
            for outcome in outcomes:
                self.on_outcome(outcome)
        return outcomes

    async def trigger(self, wait_seconds: float = 5.0) -> list[dict]:
        """Starts a run now in the background; answers once every source has opened its run (or skipped)."""
        if self.running:
            raise RunInProgress()
        loop = asyncio.get_running_loop()
        started = {source.name: loop.create_future() for source in self.sources}

        def note(name: str, run_id: int | None) -> None:
            if not started[name].done():
                started[name].set_result(run_id)

        task = asyncio.create_task(self.run_all("api", note))
        task.add_done_callback(_log_failure)
        await asyncio.sleep(0)  # let run_all claim the slot before the next trigger looks
        done, _ = await asyncio.wait(started.values(), timeout=wait_seconds)
        return [{"source": name, "run_id": fut.result() if fut in done else None} for name, fut in started.items()]

    def _plan(self, delay: float) -> float:
        self.next_run_at = datetime.now(timezone.utc) + timedelta(seconds=delay)
        return time.monotonic() + delay

    async def loop(self) -> None:
        next_start = self._plan(0 if self.on_startup else self.interval)
        first = True
        while True:
            await asyncio.sleep(max(0.0, next_start - time.monotonic()))
            next_start = self._plan(self.interval)
            # Replicas share the schedule: a tick skips a source that some replica ran successfully within
            # half an interval, so each source runs about once per interval across all of them. The
            # start-up run only defers to a run that began since this process started (replicas starting
            # together), never to an older one: a restarted service always runs at once.
            min_gap = time.time() - PROCESS_STARTED if first else self.interval / 2
            first = False
            try:
                outcomes = await self.run_all(min_gap=min_gap)
            except RunInProgress:
                log.info("scheduled run skipped: a run triggered by the API is still going; next run at %s",
                         _iso(self.next_run_at), extra={"next_run_at": _iso(self.next_run_at)})
                continue
            except Exception:  # the loop must outlive any one run
                log.exception("scheduled ETL run crashed")
                continue
            # one line for the whole run: each failure already has its own ERROR line with the error
            log.info("scheduled run done; next run at %s", _iso(self.next_run_at), extra={
                "statuses": {outcome.source: outcome.status for outcome in outcomes},
                "next_run_at": _iso(self.next_run_at)})

    async def stop(self, grace: float) -> None:
        """Asks the run in progress to stop at its next batch boundary, then cancels it after `grace`."""
        self._stopping = True
        task = self._current
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=2)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def _outcome(source: Source, result: RunOutcome | BaseException) -> RunOutcome:
    if isinstance(result, RunOutcome):
        return result
    if isinstance(result, asyncio.CancelledError):
        raise result
    log.error("ETL run crashed", exc_info=result, extra={"source": source.name})
    return RunOutcome(source.name, "failed", error=f"crashed: {result.__class__.__name__}: {result}")


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("triggered ETL run crashed", exc_info=task.exception())
