"""Paging of one asset's time series (/history, /candles, /gaps): the query a cursor carries, the
(time, source, coin_id) keyset position it resumes after, and the next page's cursor."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
from aiohttp import web

from service.settings import KNOWN_SOURCES
from service.web import cursors
from service.web.keys import QUERY

EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)
START = (EARLIEST, "", "")


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


def resume(request: web.Request, bound: tuple[str, ...]) -> tuple[dict[str, Any], tuple[datetime, str, str]]:
    """The validated query and where its page starts: the start of the series, or, with a cursor, after the
    cursor's position with the cursor's filters (`bound`) and limit (a client may send the cursor alone)."""
    query = request[QUERY]
    if "cursor" not in query:
        return query, START
    state = cursors.decode(query["cursor"], {"q": dict, "k": list})
    sent = cursors.sent_names(request)
    merged = cursors.bound_query(state, query, sent, bound)
    if not merged.get("symbol") or merged.get("source") not in (None, *KNOWN_SOURCES):
        raise cursors.invalid()
    for name in ("from_", "to"):
        if name in merged:
            merged[name] = moment(merged[name])
    merged["limit"] = cursors.kept_limit(state, query, sent)
    return merged, time_key(state["k"])


def json_page(rows: list, limit: int) -> orjson.Fragment:
    """The page's items as one JSON array from the JSON PostgreSQL wrote for each row (its `json` column): no
    Decimal or datetime decoded, no dict built, no number re-printed, so prices keep the sources' digits."""
    return orjson.Fragment("[" + ",".join([row["json"] for row in rows[:limit]]) + "]")


def next_cursor(query: dict[str, Any], bound: tuple[str, ...], last_time: datetime, source: str,
                coin_id: str) -> str:
    """The cursor of the page after the one that ended at (last_time, source, coin_id)."""
    return cursors.encode({"q": cursors.query_state(query, bound), "k": [last_time.isoformat(), source, coin_id],
                           "l": query["limit"]})
