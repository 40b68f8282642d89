"""POST /etl/run: starts a run of every enabled source now, for callers holding ADMIN_TOKEN."""
from __future__ import annotations

import hmac
import math

from aiohttp import web
from aiohttp_apispec import docs, response_schema

from service.api.openapi import BEARER, errors
from service.api.schemas import EtlStarted
from service.etl.scheduler import RunInProgress
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.errors import ApiError
from service.web.keys import ADMIN_COOLDOWN, POOL, SCHEDULER, SETTINGS
from service.web.policies import no_store
from service.web.responses import success_response

routes = web.RouteTableDef()
_BEARER = "bearer "


@docs(tags=["etl"], summary="Start an ETL run of every enabled source now",
      description="Needs `Authorization: Bearer <ADMIN_TOKEN>`; the route does not exist (404) while the "
                  "service has no ADMIN_TOKEN. Answers once every source has opened its run.",
      security=[{BEARER: []}],
      responses=errors(401, 404, 409, 429, 503, e404="ADMIN_TOKEN is not configured",
                       e429="Inside ETL_TRIGGER_COOLDOWN_SECONDS of the last API-triggered run (or too many "
                            "requests from this client); Retry-After says when to try again"))
@response_schema(EtlStarted, 202, description="The runs started, one per enabled source")
@no_store
@routes.post("/etl/run")
async def post_etl_run(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].admin_token
    if not token:
        raise ApiError(404, "no such route or resource")
    if not _authorized(request.headers.get("Authorization", ""), token):
        raise ApiError(401, "send Authorization: Bearer <ADMIN_TOKEN>", headers={"WWW-Authenticate": "Bearer"})
    cooldown = request.app[ADMIN_COOLDOWN]
    wait = cooldown.wait()
    if wait > 0:
        raise ApiError(429, f"the last API-triggered run started less than {cooldown.seconds:g} s ago",
                       headers={"Retry-After": str(max(1, math.ceil(wait)))})
    async with db_deadline(request):  # a run that cannot reach the database would only record nothing
        await request.app[POOL].fetchval(SQL.select_one)
    try:
        runs = await request.app[SCHEDULER].trigger()
    except RunInProgress:
        raise ApiError(409, "an ETL run is already in progress; try again when it has finished") from None
    cooldown.started()
    return success_response(request, {"runs": runs}, status=202)


def _authorized(header: str, token: str) -> bool:
    if header[:len(_BEARER)].lower() != _BEARER:
        return False
    # header bytes that are not Latin-1 arrive as surrogate escapes: they can never match, never crash
    sent = header[len(_BEARER):].strip().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(sent, token.encode())
