"""GET /rejects: the records validation refused, newest first, with where they were and why."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api import runlists
from service.api.openapi import READ_ERRORS
from service.api.schemas import MAX_ID, RejectsEnvelope, RejectsQuery
from service.settings import KNOWN_SOURCES
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.keys import POOL
from service.web.responses import success_response

routes = web.RouteTableDef()
_FILTERS = {"source": lambda v: v in KNOWN_SOURCES, "run_id": lambda v: type(v) is int and 1 <= v <= MAX_ID}


@docs(tags=["etl"], summary="Records refused by validation, newest first",
      description="Each item says which run and source refused it, why (`reason`), where it was (`location`: "
                  "CSV `file:line`, or the API coin id) and what was received (`raw`). Follow `next_cursor` "
                  "until it is null (`page` is a 400). `/runs/{id}` counts a run's rejects by reason.",
      responses=READ_ERRORS)
@querystring_schema(RejectsQuery)
@response_schema(RejectsEnvelope, 200, description="One page of rejected records, newest first")
@routes.get("/rejects")
async def get_rejects(request: web.Request) -> web.Response:
    query, below = runlists.resume(request, _FILTERS)
    source, run_id, limit = query.get("source"), query.get("run_id"), query["limit"]
    async with db_deadline(request):
        if run_id is None:
            rows = await request.app[POOL].fetch(SQL.select_rejects_page, source, below, limit + 1)
        else:
            rows = await request.app[POOL].fetch(SQL.select_run_rejects_page, source, run_id, below, limit + 1)
    page = [dict(row) for row in rows[:limit]]
    next_cursor = runlists.next_cursor(query, _FILTERS, page) if len(rows) > limit else None
    return success_response(request, {"data": page, "limit": limit, "next_cursor": next_cursor})
