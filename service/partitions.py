"""History partitions: months created ahead of time, and whole months dropped once past HISTORY_RETENTION_DAYS."""
from __future__ import annotations

import asyncio
import logging
import re
import time

import asyncpg

from service import metrics
from service.sql import SQL

log = logging.getLogger(__name__)
MONTHS_AHEAD = 2
# only names the service gives its partitions (migration 0006's ensure_history_partitions) are ever dropped
_PARTITION_NAME = re.compile(r"^quotes_history_p\d{4}_\d{2}$")


async def create_ahead(pool: asyncpg.Pool, months: int = MONTHS_AHEAD) -> int:
    """This month's partition and the next `months`' (on demand covers any other month); returns how many new."""
    created = await pool.fetchval(SQL.create_history_partitions_ahead, months)
    if created:
        log.info("history partitions created ahead", extra={"partitions": created})
    return created


async def drop_expired(pool: asyncpg.Pool, retention_days: int | None) -> list[str]:
    """Drops the partitions wholly older than the retention; one process at a time (others skip)."""
    if retention_days is None:
        return []
    dropped: list[str] = []
    async with pool.acquire() as connection:
        if not await connection.fetchval(SQL.try_lock_history_maintenance):
            return []
        try:
            for row in await connection.fetch(SQL.select_expired_history_partitions, retention_days):
                name = row["name"]
                if not _PARTITION_NAME.match(name):
                    log.warning("history partition with a foreign name left alone", extra={"partition": name})
                    continue
                started = time.perf_counter()
                # detached concurrently: /history and the ETL go on while it waits for their transactions
                step = SQL.finish_history_partition_detach if row["detach_pending"] else SQL.detach_history_partition
                await connection.execute(step.format(partition=_identifier(name)))
                await connection.execute(SQL.drop_detached_history_partition.format(partition=_identifier(name)))
                metrics.HISTORY_PARTITIONS_DROPPED.inc()
                dropped.append(name)
                log.info("history partition dropped past the retention", extra={
                    "partition": name, "upper_bound": row["upper_bound"].isoformat(),
                    "seconds": round(time.perf_counter() - started, 3)})
        finally:
            await connection.fetchval(SQL.unlock_history_maintenance)
    return dropped


async def maintain(pool: asyncpg.Pool, retention_days: int | None) -> None:
    """Partitions ahead, then the retention: at start-up and after every ETL run. A failure is logged, not
    raised: an insert still creates its month on demand, and the next run tries the retention again."""
    try:
        await create_ahead(pool)
        await drop_expired(pool, retention_days)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("history partition maintenance failed; retried after the next run", extra={"error": str(exc)})


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
