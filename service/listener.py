"""Listens for 'quotes_changed' so every replica drops its cached answers when an ETL batch commits, and learns
the primary's WAL position after that commit: a standby may answer for the new data only once it has replayed it.
Also listens for 'runs_changed' (a run started, progressed or ended), which only /health's answer depends on."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from service.sql import SQL

log = logging.getLogger(__name__)
CHANNEL = "quotes_changed"
RUNS_CHANNEL = "runs_changed"


async def listen_forever(dsn: str, on_change: Callable[[str | None], None], *, retry_seconds: float = 2.0,
                         on_heard: Callable[[], None] = lambda: None) -> None:
    """Keeps one LISTEN connection; after any outage it reconnects and assumes data changed meanwhile.

    `on_change` gets the primary's WAL position read after the change was heard of (a notification is delivered
    only after its commit, so the position is at or past the commit), or None while the listener is cut off.
    The position is not in the notification itself: read inside the transaction, it would precede the commit.
    `on_heard` is called the moment any notification (or the loss of the connection) arrives, before that read."""
    def arrived(event: str) -> None:
        on_heard()
        events.put_nowait(event)

    while True:
        connection = None
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
            events: asyncio.Queue[str] = asyncio.Queue()
            connection.add_termination_listener(lambda _conn: arrived("lost"))
            await connection.add_listener(CHANNEL, lambda *_args: arrived("heard"))
            await connection.add_listener(RUNS_CHANNEL, lambda *_args: on_heard())
            on_change(await connection.fetchval(SQL.select_wal_position, timeout=5))
            while True:
                try:
                    heard = [await asyncio.wait_for(events.get(), timeout=15)]
                except asyncio.TimeoutError:
                    await connection.fetchval(SQL.select_one, timeout=5)
                    continue
                while not events.empty():  # everything heard so far is covered by the one position read next
                    heard.append(events.get_nowait())
                if "lost" in heard:
                    break
                on_change(await connection.fetchval(SQL.select_wal_position, timeout=5))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("change listener lost the database; retrying", extra={"error": str(exc)})
        finally:
            if connection is not None and not connection.is_closed():
                await connection.close(timeout=2)
        on_heard()
        on_change(None)
        await asyncio.sleep(retry_seconds)
