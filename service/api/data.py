"""GET /data: the latest state per asset and source, filtered, sorted, paged by cursor or page number."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api.openapi import NOT_MODIFIED, READ_ERRORS
from service.api.schemas import SORT_CHOICES, DataQuery, PageEnvelope
from service.web import cursors
from service.web.deadline import db_deadline
from service.web.keys import QUERY, SNAPSHOTS
from service.web.policies import cached
from service.web.responses import success_response
from service.web.snapshots import Snapshot, order_key

routes = web.RouteTableDef()


@docs(tags=["data"], summary="Latest normalized record per asset and source",
      description="Cursor mode (default): follow `next_cursor` until it is null; every record comes exactly "
                  "once, even while an ETL run writes (a cursor reads the snapshot its first page read). "
                  "Page mode: pass `page` (1-based) to get `page` and `total_records`.",
      responses={**NOT_MODIFIED, **READ_ERRORS})
@querystring_schema(DataQuery)
@response_schema(PageEnvelope, 200)
@cached
@routes.get("/data")
async def get_data(request: web.Request) -> web.StreamResponse:
    query = request[QUERY]
    snapshots = request.app[SNAPSHOTS]
    snapshot = None
    after_key = None
    if "cursor" in query:
        state = cursors.decode(query["cursor"], {"v": str, "q": dict, "r": list})
        sent = cursors.sent_names(request)
        query = {**_cursor_query(state, query, sent), "limit": cursors.kept_limit(state, query, sent)}
        column, descending = _sort(query["sort"])
        snapshot = snapshots.pinned(state["v"])
        after_key = _cursor_key(state["r"], column, descending)
    column, descending = _sort(query["sort"])
    if snapshot is None:
        async with db_deadline(request):
            snapshot = await snapshots.current()
    rows, keys = _select(snapshot, query, column, descending)
    limit = query["limit"]
    fields = {}
    if "page" in query:
        start = (query["page"] - 1) * limit
        fields.update(page=query["page"], total_records=len(rows))
    else:
        start = 0 if after_key is None else Snapshot.after(keys, after_key)
    chunk = rows[start:start + limit]
    more = start + limit < len(rows)
    next_cursor = None
    if more and chunk:
        last = chunk[-1]
        next_cursor = cursors.encode({"v": snapshot.version, "q": cursors.query_state(query, _BOUND),
                                      "r": [_plain(last[column]), last["source"], last["coin_id"]], "l": limit})
    fields.update(data=[row["json"] for row in chunk], limit=limit, next_cursor=next_cursor, sort=query["sort"])
    return success_response(request, fields)


_BOUND = ("sort", "source", "symbol", "min_price", "max_price")


def _cursor_query(state: dict, query: dict, sent: set[str]) -> dict:
    merged = cursors.bound_query(state, query, sent, _BOUND)
    if merged.get("sort") not in SORT_CHOICES:
        raise cursors.invalid()
    for name in ("min_price", "max_price"):
        if name in merged:
            try:
                if not Decimal(merged[name]).is_finite():
                    raise cursors.invalid()
            except InvalidOperation:
                raise cursors.invalid() from None
    return merged


def _sort(sort: str) -> tuple[str, bool]:
    return sort.lstrip("-"), sort.startswith("-")


def _select(snapshot: Snapshot, query: dict, column: str, descending: bool) -> tuple[list[dict], list[tuple]]:
    rows, keys = snapshot.ordered(column, descending)
    source, symbol = query.get("source"), query.get("symbol")
    low, high = query.get("min_price"), query.get("max_price")
    if source is None and symbol is None and low is None and high is None:
        return rows, keys
    low = Decimal(low) if low is not None else None
    high = Decimal(high) if high is not None else None
    picked = [
        (row, key) for row, key in zip(rows, keys)
        if (source is None or row["source"] == source)
        and (symbol is None or row["symbol"] == symbol)
        and (low is None or row["price_usd"] >= low)
        and (high is None or row["price_usd"] <= high)
    ]
    return [row for row, _ in picked], [key for _, key in picked]


def _cursor_key(values: list, column: str, descending: bool) -> tuple:
    if len(values) != 3 or not all(isinstance(v, str) for v in values[1:]):
        raise cursors.invalid()
    value = values[0]
    try:
        if value is not None and column not in ("symbol", "rank"):
            value = Decimal(value)
        elif column == "rank" and value is not None and not isinstance(value, int):
            raise cursors.invalid()
        elif column == "symbol" and value is not None and not isinstance(value, str):
            raise cursors.invalid()
    except (InvalidOperation, TypeError):
        raise cursors.invalid() from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise cursors.invalid()
    return order_key({column: value, "source": values[1], "coin_id": values[2]}, column, descending)


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value
