"""`python -m service backfill`: migrations, then one backfill run per API source, progress on stdout."""
from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass, field

from service import db
from service.cli_outcomes import report
from service.etl.backfill import DEFAULT_DAYS, Scope, backfill
from service.etl.records import Batch, RunCounts
from service.etl.registry import API_NAMES
from service.etl.wiring import wired_sources
from service.settings import Settings

_PRINT_EVERY = 1.0  # seconds between progress lines of one source (a finished coin prints at most this often)


@dataclass
class _Progress:
    started: float = field(default_factory=time.monotonic)
    printed: float = 0.0


async def backfill_once(settings: Settings, args) -> int:
    names = tuple(args.source or ()) or tuple(name for name in settings.etl_sources if name in API_NAMES)
    if not names:
        print("backfill: no API source enabled (ETL_SOURCES) and none named (--source)", file=sys.stderr)
        return 2
    scope = Scope(days=args.days or settings.backfill_days or DEFAULT_DAYS, symbols=args.symbols, top=args.top)
    progress: dict[str, _Progress] = {name: _Progress() for name in names}

    def stored(source: str, batch: Batch, counts: RunCounts) -> None:
        state, now = progress[source], time.monotonic()
        done = batch.progress and batch.progress["coins_left"] == 0
        if batch.progress and (done or now - state.printed >= _PRINT_EVERY):
            state.printed = now
            print(_line(source, batch.progress, counts, now - state.started), flush=True)

    stopping = False
    async with db.database_url(settings) as dsn:
        await db.migrate(dsn)
        pool = await db.create_pool(dsn, settings)
        try:
            async with wired_sources(settings, names) as wired:
                run = asyncio.ensure_future(backfill(pool, settings, wired.upstreams, scope,
                                                     should_stop=lambda: stopping, on_stored=stored))

                def stop() -> None:
                    nonlocal stopping
                    stopping = True

                loop = asyncio.get_running_loop()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, stop)
                outcomes = await run
        finally:
            await pool.close()
    return report(outcomes, lambda counts: f"points stored={counts.inserted} already there={counts.unchanged} "
                                           f"rejected={counts.rejected} requests={counts.pages}")


def _line(source: str, progress: dict, counts: RunCounts, elapsed: float) -> str:
    done, total, left = progress["coins_done"], progress["coins_total"], progress["coins_left"]
    rate = counts.inserted / elapsed if elapsed > 0 else 0.0
    eta = elapsed / done * left if done else None
    eta_text = "-" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
    return (f"{source}: coins {done}/{total} ({left} left), points {counts.inserted}, {rate:,.0f} points/s, "
            f"requests {progress.get('requests', 0)}, ETA {eta_text}")
