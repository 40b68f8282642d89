"""GET /history: one asset's observations over time, paged by an opaque keyset cursor."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api import series
from service.api.openapi import NOT_MODIFIED, READ_ERRORS
from service.api.schemas import HistoryEnvelope, HistoryQuery
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.keys import READER
from service.web.policies import cached
from service.web.responses import success_response

routes = web.RouteTableDef()
_BOUND = ("symbol", "source", "from_", "to")


@docs(tags=["data"], summary="The time series of one asset",
      description="Every distinct observation ever ingested for `symbol`, once, ordered by observed_at "
                  "(then source and coin_id). Follow `next_cursor` until it is null; records that existed "
                  "when the first page was read come exactly once even while an ETL run writes. "
                  "Sends a weak ETag: repeat it in If-None-Match to get 304 while nothing changed. Pages by "
                  "cursor only: `page` is a 400.",
      responses={**NOT_MODIFIED, **READ_ERRORS})
@querystring_schema(HistoryQuery)
@response_schema(HistoryEnvelope, 200, description="One page of observations, oldest first")
@cached
@routes.get("/history")
async def get_history(request: web.Request) -> web.StreamResponse:
    query, after = series.resume(request, _BOUND)
    symbol, limit = query["symbol"], query["limit"]
    async with db_deadline(request):
        rows = await request.app[READER].fetch(
            SQL.select_history_page_json, symbol, query.get("source"), query.get("from_", series.EARLIEST),
            query.get("to", series.LATEST), *after, limit + 1)
    page = series.json_page(rows, limit)
    next_cursor = None
    # a page stops early where a coin's probe ran out (see the SQL): then it may be short and still go on
    if len(rows) > limit or (rows and rows[0]["cut"]):
        last = rows[min(limit, len(rows)) - 1]
        next_cursor = series.next_cursor(query, _BOUND, last["observed_at"], last["source"], last["coin_id"])
    return success_response(request, {"symbol": symbol, "data": page, "limit": limit, "next_cursor": next_cursor})
