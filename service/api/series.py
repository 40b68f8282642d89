"""Cursors of one asset's time series (/history, /candles): the query they carry and the (time, source, coin_id) key."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from service.settings import KNOWN_SOURCES
from service.web import cursors


def moment(value: Any) -> datetime:
    """An aware time a cursor carries as ISO-8601 text."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise cursors.invalid() from None
    if parsed.tzinfo is None:
        raise cursors.invalid()
    return parsed


def time_key(values: list) -> tuple[datetime, str, str]:
    """A (time, source, coin_id) keyset position: where the previous page of a time series ended."""
    if len(values) != 3 or not all(isinstance(v, str) for v in values):
        raise cursors.invalid()
    return moment(values[0]), values[1], values[2]


def series_query(state: dict[str, Any], query: dict[str, Any], sent: set[str],
                 names: tuple[str, ...]) -> dict[str, Any]:
    """bound_query() for one asset's time series (/history, /candles): a symbol, a known source or none, and
    aware `from`/`to` times."""
    merged = cursors.bound_query(state, query, {"from_" if n == "from" else n for n in sent}, names)
    if not merged.get("symbol") or merged.get("source") not in (None, *KNOWN_SOURCES):
        raise cursors.invalid()
    for name in ("from_", "to"):
        if name in merged:
            merged[name] = moment(merged[name])
    return merged
