"""GET /runs and GET /runs/{id}: the ETL run log, newest first."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, match_info_schema, querystring_schema, response_schema

from service.api import runlists
from service.api.openapi import READ_ERRORS, errors
from service.api.schemas import RUN_STATUSES, RUN_TRIGGERS, NoQuery, RunEnvelope, RunId, RunsEnvelope, RunsQuery
from service.settings import KNOWN_SOURCES
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.errors import ApiError
from service.web.keys import PATH, POOL
from service.web.responses import success_response

routes = web.RouteTableDef()
# a run's reasons may name each bad value; the first ones say enough, /rejects?run_id= lists them all
MAX_REASONS = 100
_FILTERS = {"source": lambda v: v in KNOWN_SOURCES, "status": lambda v: v in RUN_STATUSES,
            "trigger": lambda v: v in RUN_TRIGGERS}


@docs(tags=["etl"], summary="Recent ETL runs, newest first",
      description="One item per source's run. Cursor mode (default): follow `next_cursor` until it is null. "
                  "Page mode: pass `page` (1-based) to also get `page` and `total_records`.",
      responses=READ_ERRORS)
@querystring_schema(RunsQuery)
@response_schema(RunsEnvelope, 200, description="One page of runs, newest first")
@routes.get("/runs")
async def get_runs(request: web.Request) -> web.Response:
    query, below = runlists.resume(request, _FILTERS)
    source, status, trigger, limit = query.get("source"), query.get("status"), query.get("trigger"), query["limit"]
    body = {}
    offset = 0
    pool = request.app[POOL]
    async with db_deadline(request):
        if "page" in query:
            offset = (query["page"] - 1) * limit
            body.update(page=query["page"],
                        total_records=await pool.fetchval(SQL.select_runs_count, source, status, trigger))
        rows = await pool.fetch(SQL.select_runs_page, source, status, below, limit + 1, offset, trigger)
    runs = [dict(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit and "page" not in query:
        next_cursor = runlists.next_cursor(query, _FILTERS, runs)
    body.update(data=runs, limit=limit, next_cursor=next_cursor)
    return success_response(request, body)


@docs(tags=["etl"], summary="One ETL run, with its rejects counted by reason",
      responses=errors(400, 404, 429, 503, e400="The id is not a positive whole number",
                       e404="No run has this id"))
@match_info_schema(RunId)
@response_schema(RunEnvelope, 200, description="The run")
@querystring_schema(NoQuery)
@routes.get("/runs/{id}")
async def get_run(request: web.Request) -> web.Response:
    run_id = request[PATH]["id"]
    async with db_deadline(request), request.app[POOL].acquire() as connection:
        row = await connection.fetchrow(SQL.select_run, run_id)
        reasons = await connection.fetch(SQL.select_run_reject_reasons, run_id, MAX_REASONS) if row else []
    if row is None:
        raise ApiError(404, f"no run with id {run_id}")
    return success_response(request, {**dict(row), "rejects_by_reason": [dict(r) for r in reasons]})
