"""GET /runs and GET /runs/{id}: the ETL run log, newest first."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, match_info_schema, querystring_schema, response_schema

from service.api import cursors
from service.api.deadline import db_deadline
from service.api.openapi import READ_ERRORS, errors
from service.api.schemas import MAX_ID, RunEnvelope, RunId, RunsEnvelope, RunsQuery
from service.errors import ApiError
from service.keys import POOL
from service.responses import success_response
from service.sql import SQL

routes = web.RouteTableDef()
# a run's reasons may name each bad value; the first ones say enough, /rejects?run_id= lists them all
MAX_REASONS = 100


@docs(tags=["etl"], summary="Recent ETL runs, newest first",
      description="One item per source's run. Cursor mode (default): follow `next_cursor` until it is null. "
                  "Page mode: pass `page` (1-based) to also get `page` and `total_records`.",
      responses=READ_ERRORS)
@querystring_schema(RunsQuery)
@response_schema(RunsEnvelope, 200, description="One page of runs, newest first")
@routes.get("/runs")
async def get_runs(request: web.Request) -> web.Response:
    query = request["querystring"]
    source, status, trigger, limit = query.get("source"), query.get("status"), query.get("trigger"), query["limit"]
    below, offset = MAX_ID, 0
    if "cursor" in query:
        state = cursors.decode(query["cursor"], {"before": int})
        if state.get("source") != source or state.get("status") != status \
                or state.get("trigger") != trigger or not 1 <= state["before"] <= MAX_ID:
            raise cursors.invalid()
        below = state["before"]
    body = {}
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
        next_cursor = cursors.encode({"before": runs[-1]["id"], "source": source, "status": status,
                                      "trigger": trigger})
    body.update(data=runs, limit=limit, next_cursor=next_cursor)
    return success_response(request, body)


@docs(tags=["etl"], summary="One ETL run, with its rejects counted by reason",
      responses=errors(400, 404, 429, 503, e400="The id is not a positive whole number",
                       e404="No run has this id"))
@match_info_schema(RunId)
@response_schema(RunEnvelope, 200, description="The run")
@routes.get("/runs/{id}")
async def get_run(request: web.Request) -> web.Response:
    run_id = request["match_info"]["id"]
    async with db_deadline(request), request.app[POOL].acquire() as connection:
        row = await connection.fetchrow(SQL.select_run, run_id)
        reasons = await connection.fetch(SQL.select_run_reject_reasons, run_id, MAX_REASONS) if row else []
    if row is None:
        raise ApiError(404, f"no run with id {run_id}")
    return success_response(request, {**dict(row), "rejects_by_reason": [dict(r) for r in reasons]})
