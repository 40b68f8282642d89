"""Where history is missing: maximal runs of empty interval buckets per source coin (GET /gaps and the backfill)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.sql import SQL

# bucket widths in seconds; buckets start at whole multiples of them from the Unix epoch (as /candles')
INTERVALS = {"5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


@dataclass(frozen=True, slots=True)
class Gap:
    source: str
    coin_id: str
    start: datetime  # the first empty bucket's start
    end: datetime  # the end of the last empty bucket (exclusive)
    missing: int  # empty buckets


async def find_gaps(connection, *, step: int, end: datetime, start: datetime | None = None,
                    symbol: str | None = None, source: str | None = None,
                    coin_ids: Sequence[str] | None = None, limit: int = 1_000_000) -> list[Gap]:
    """The gaps of the coins named (by symbol, source and/or coin ids) in buckets of `step` seconds from the one
    holding `start` (None: each coin's first observation) to the last one starting before `end`, in time order."""
    rows = await connection.fetch(SQL.select_gaps, symbol, source, list(coin_ids) if coin_ids is not None else None,
                                  step, start, end, limit)
    return [Gap(r["source"], r["coin_id"], r["start"], r["end"], r["missing"]) for r in rows]
