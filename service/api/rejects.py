"""GET /rejects: the records validation refused, newest first, with where they were and why."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api.openapi import READ_ERRORS
from service.api.schemas import MAX_ID, RejectsEnvelope, RejectsQuery
from service.settings import KNOWN_SOURCES
from service.sql import SQL
from service.web import cursors
from service.web.deadline import db_deadline
from service.web.errors import ApiError
from service.web.keys import POOL
from service.web.responses import success_response

routes = web.RouteTableDef()


@docs(tags=["etl"], summary="Records refused by validation, newest first",
      description="Each item says which run and source refused it, why (`reason`), where it was (`location`: "
                  "CSV `file:line`, or the API coin id) and what was received (`raw`). Follow `next_cursor` "
                  "until it is null (`page` is a 400). `/runs/{id}` counts a run's rejects by reason.",
      responses=READ_ERRORS)
@querystring_schema(RejectsQuery)
@response_schema(RejectsEnvelope, 200, description="One page of rejected records, newest first")
@routes.get("/rejects")
async def get_rejects(request: web.Request) -> web.Response:
    query = request["querystring"]
    source, run_id, limit = query.get("source"), query.get("run_id"), query["limit"]
    below = MAX_ID
    if "cursor" in query:
        state = cursors.decode(query["cursor"], {"before": int})
        source, run_id, below = _cursor_filters(state, query, set(request.query))
    async with db_deadline(request):
        if run_id is None:
            rows = await request.app[POOL].fetch(SQL.select_rejects_page, source, below, limit + 1)
        else:
            rows = await request.app[POOL].fetch(SQL.select_run_rejects_page, source, run_id, below, limit + 1)
    page = [dict(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursors.encode({"before": page[-1]["id"], "source": source, "run_id": run_id})
    return success_response(request, {"data": page, "limit": limit, "next_cursor": next_cursor})


def _cursor_filters(state: dict, query: dict, sent: set[str]) -> tuple[str | None, int | None, int]:
    """The filters the cursor was issued for (a client may send it alone) and the id to continue below."""
    source, run_id = state.get("source"), state.get("run_id")
    if source not in (None, *KNOWN_SOURCES) or not (run_id is None or type(run_id) is int and 1 <= run_id <= MAX_ID) \
            or not 1 <= state["before"] <= MAX_ID:
        raise cursors.invalid()
    for name, bound in (("source", source), ("run_id", run_id)):
        if name in sent and query.get(name) != bound:
            raise ApiError(400, f"invalid parameter(s): cursor, {name}", code="invalid_parameters", fields={
                "cursor": [f"issued for another {name}; send the cursor alone or with the same {name}"]})
    return source, run_id, state["before"]
