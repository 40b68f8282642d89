"""Adds a batch's staged quotes to quotes_history, checking for conflicts only where one can exist."""
from __future__ import annotations

import logging

import asyncpg

from service.sql import SQL

log = logging.getLogger(__name__)


async def insert_history(connection, run_id: int, missing: bool = False) -> int:
    """Inserts the staged quotes new to the history (in the caller's transaction); returns how many. `missing`:
    the quotes were found missing when planned (a backfill's), so none is probed for first."""
    await connection.fetchval(SQL.create_history_partitions_for_stage)
    await connection.execute(SQL.insert_history_symbols)
    try:
        async with connection.transaction():
            return await connection.fetchval(SQL.insert_quotes_history, run_id, False, missing)
    except asyncpg.UniqueViolationError:
        # the batch repeats an observation newer than the latest state: each one is checked instead
        log.debug("staged quotes repeat an observation; inserted with a conflict check each")
        return await connection.fetchval(SQL.insert_quotes_history, run_id, True, False)
