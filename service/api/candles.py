"""GET /candles: OHLC buckets of one asset's history per source, computed by PostgreSQL, paged by a keyset cursor."""
from __future__ import annotations

from datetime import datetime, timezone

import orjson
from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api import series
from service.api.candle_schemas import INTERVALS, CandlesEnvelope, CandlesQuery
from service.api.openapi import NOT_MODIFIED, READ_ERRORS
from service.sql import SQL
from service.web import cursors
from service.web.deadline import db_deadline
from service.web.keys import READER, SNAPSHOTS
from service.web.responses import cache_headers, generation_etag
from service.web.responses import success_response

routes = web.RouteTableDef()

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_LATEST = datetime.max.replace(tzinfo=timezone.utc)
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
@routes.get("/candles")
async def get_candles(request: web.Request) -> web.StreamResponse:
    query = request["querystring"]
    if query.get("symbol"):
        query = {**query, "symbol": query["symbol"].strip().upper()}
    after = (_EARLIEST, "", "")
    if "cursor" in query:
        state = cursors.decode(query["cursor"], {"q": dict, "k": list})
        query = series.series_query(state, query, set(request.query), _BOUND)
        if query.get("interval") not in INTERVALS:
            raise cursors.invalid()
        after = series.time_key(state["k"])
    etag = generation_etag(request.app[SNAPSHOTS].data_version, request.rel_url.raw_query_string)
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=cache_headers(etag))
    symbol, interval, limit = query["symbol"], query["interval"], query["limit"]
    async with db_deadline(request):
        rows = await request.app[READER].fetch(
            SQL.select_candles_page_json, symbol, query.get("source"), INTERVALS[interval],
            query.get("from_", _EARLIEST), query.get("to", _LATEST), *after, limit + 1)
    # PostgreSQL writes each candle's JSON: the prices keep the digits the sources gave
    page = orjson.Fragment("[" + ",".join([row["json"] for row in rows[:limit]]) + "]")
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = cursors.encode({"q": cursors.query_state(query, _BOUND),
                                      "k": [last["bucket_start"].isoformat(), last["source"], last["coin_id"]]})
    body = {"symbol": symbol, "interval": interval, "data": page, "limit": limit, "next_cursor": next_cursor}
    return success_response(request, body, headers=cache_headers(etag))
