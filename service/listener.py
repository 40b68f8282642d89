"""Listens for 'quotes_changed' so every replica drops its cached answers when an ETL batch commits."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from service.sql import SQL

log = logging.getLogger(__name__)
CHANNEL = "quotes_changed"


async def listen_forever(dsn: str, on_change: Callable[[], None], *, retry_seconds: float = 2.0) -> None:
    """Keeps one LISTEN connection; after any outage it reconnects and assumes data changed meanwhile."""
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(dsn, timeout=10)
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _conn: lost.set())
            await connection.add_listener(CHANNEL, lambda *_args: on_change())
            on_change()
            while not lost.is_set() and not connection.is_closed():
                try:
                    await asyncio.wait_for(lost.wait(), timeout=15)
                except asyncio.TimeoutError:
                    await connection.fetchval(SQL.select_one, timeout=5)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("change listener lost the database; retrying", extra={"error": str(exc)})
        finally:
            if connection is not None and not connection.is_closed():
                await connection.close(timeout=2)
        on_change()
        await asyncio.sleep(retry_seconds)
