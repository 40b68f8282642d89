"""Paging of the run-like lists (/runs, /rejects): newest first by id, a cursor carrying its filters, its
limit and the id to continue below."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from service.api.schemas import MAX_ID
from service.web import cursors
from service.web.errors import ApiError
from service.web.keys import QUERY


def resume(request: web.Request, filters: dict[str, Callable[[Any], bool]]) -> tuple[dict[str, Any], int]:
    """The validated query and the id its page continues below (MAX_ID first). With a cursor, the filters and
    limit it was issued for (each checked by `filters[name]`); a filter sent again must have the same value."""
    query = request[QUERY]
    if "cursor" not in query:
        return query, MAX_ID
    state = cursors.decode(query["cursor"], {"before": int})
    if not 1 <= state["before"] <= MAX_ID:
        raise cursors.invalid()
    sent = cursors.sent_names(request)
    merged = dict(query)
    for name, allowed in filters.items():
        bound = state.get(name)
        if bound is not None and not allowed(bound):
            raise cursors.invalid()
        if name in sent and query.get(name) != bound:
            raise ApiError(400, f"invalid parameter(s): cursor, {name}", code="invalid_parameters", fields={
                "cursor": [f"issued for another {name}; send the cursor alone or with the same {name}"]})
        if bound is None:
            merged.pop(name, None)
        else:
            merged[name] = bound
    merged["limit"] = cursors.kept_limit(state, query, sent)
    return merged, state["before"]


def next_cursor(query: dict[str, Any], filters: dict[str, Any], rows: list[dict]) -> str:
    """The cursor of the page after `rows` (the last one has the smallest id)."""
    return cursors.encode({"before": rows[-1]["id"], **{name: query.get(name) for name in filters},
                           "l": query["limit"]})
