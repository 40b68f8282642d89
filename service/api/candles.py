"""GET /candles: OHLC buckets of one asset's history per source, computed by PostgreSQL, paged by a keyset cursor."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api import series
from service.api.candle_schemas import INTERVALS, CandlesEnvelope, CandlesQuery
from service.api.openapi import NOT_MODIFIED, READ_ERRORS
from service.sql import SQL
from service.web import cursors
from service.web.deadline import db_deadline
from service.web.keys import READER
from service.web.policies import cached
from service.web.responses import success_response

routes = web.RouteTableDef()
_BOUND = ("symbol", "interval", "source", "from_", "to")


@docs(tags=["data"], summary="OHLC candles of one asset",
      description="Buckets of `interval` aligned from the Unix epoch, per source coin, in time order (then source "
                  "and coin_id): open and close are the exact prices of the bucket's first and last observation, "
                  "high and low its exact extremes, observations their count. Buckets without observations are "
                  "absent. `from`/`to` select buckets by bucket_start; each bucket holds all its observations. "
                  "Follow `next_cursor` until it is null. Sends a weak ETag: repeat it in If-None-Match to get "
                  "304 while nothing changed.",
      responses={**NOT_MODIFIED, **READ_ERRORS})
@querystring_schema(CandlesQuery)
@response_schema(CandlesEnvelope, 200, description="One page of candles, oldest first")
@cached
@routes.get("/candles")
async def get_candles(request: web.Request) -> web.StreamResponse:
    query, after = series.resume(request, _BOUND)
    if query.get("interval") not in INTERVALS:
        raise cursors.invalid()
    symbol, interval, limit = query["symbol"], query["interval"], query["limit"]
    async with db_deadline(request):
        rows = await request.app[READER].fetch(
            SQL.select_candles_page_json, symbol, query.get("source"), INTERVALS[interval],
            query.get("from_", series.EARLIEST), query.get("to", series.LATEST), *after, limit + 1)
    page = series.json_page(rows, limit)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = series.next_cursor(query, _BOUND, last["bucket_start"], last["source"], last["coin_id"])
    body = {"symbol": symbol, "interval": interval, "data": page, "limit": limit, "next_cursor": next_cursor}
    return success_response(request, body)
