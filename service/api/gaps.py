"""GET /gaps: where one asset's history is missing, per source coin, in buckets aligned as /candles aligns them."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.web.deadline import db_deadline
from service.api.gap_schemas import GapsEnvelope, GapsQuery
from service.api.openapi import READ_ERRORS
from service.gaps import INTERVALS, find_gaps
from service.web.keys import QUERY, READER
from service.web.responses import success_response

routes = web.RouteTableDef()


@docs(tags=["data"], summary="Where one asset's history is missing",
      description="Each maximal run of `interval` buckets (aligned from the Unix epoch, as /candles) with no "
                  "observation, per source coin, in time order: `start` inclusive, `end` exclusive, `missing` "
                  "the bucket count. The range runs from the bucket holding `from` (default: each coin's first "
                  "observation) to the last bucket starting before `to` (default: the current bucket's start).",
      responses=READ_ERRORS)
@querystring_schema(GapsQuery)
@response_schema(GapsEnvelope, 200, description="The gaps, oldest first")
@routes.get("/gaps")
async def get_gaps(request: web.Request) -> web.Response:
    query = request[QUERY]
    symbol, interval, limit = query["symbol"].strip().upper(), query["interval"], query["limit"]
    step = INTERVALS[interval]
    end = query.get("to") or _bucket_start(datetime.now(timezone.utc), step)
    start = query.get("from_")
    async with db_deadline(request):
        gaps = await find_gaps(request.app[READER], step=step, start=start, end=end, symbol=symbol,
                               source=query.get("source"), limit=limit + 1)
    body = {"symbol": symbol, "interval": interval, "data": [dataclasses.asdict(g) for g in gaps[:limit]],
            "limit": limit, "truncated": len(gaps) > limit}
    return success_response(request, body)


def _bucket_start(moment: datetime, step: int) -> datetime:
    seconds = int(moment.timestamp()) // step * step
    return datetime.fromtimestamp(seconds, timezone.utc)
