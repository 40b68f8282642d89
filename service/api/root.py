"""GET /: what this service is and where its routes are."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema
from marshmallow import Schema, fields

from service import SERVICE_NAME, __version__
from service.api.openapi import DOCUMENT_URL, errors
from service.api.schemas import NoQuery
from service.web.responses import success_response

routes = web.RouteTableDef()

# links a client can follow as they are, on a fresh install too (no run, no data yet)
LINKS = {
    "health": "/health", "data": "/data", "history": "/history?symbol=BTC",
    "candles": "/candles?symbol=BTC&interval=1d", "gaps": "/gaps?symbol=BTC", "stats": "/stats", "runs": "/runs",
    "rejects": "/rejects",
    "metrics": "/metrics", "docs": "/docs", "openapi": DOCUMENT_URL, "dashboard": "/dashboard",
    "identity_candidates": "/identity/candidates",
}
# routes that need a value from the caller (RFC 6570 URI templates), and the one route that changes state
TEMPLATES = {
    "asset": "/assets/{symbol}", "run": "/runs/{id}", "compare_runs": "/compare-runs{?a,b}",
    "history": "/history{?symbol,source,from,to,limit,cursor}", "rejects": "/rejects{?source,run_id,limit,cursor}",
    "candles": "/candles{?symbol,interval,source,from,to,limit,cursor}",
    "gaps": "/gaps{?symbol,source,interval,from,to,limit}",
    "stream": "/stream{?symbol,source}", "export_history": "/export/history{?from,to,source,symbol,format}",
}
ACTIONS = {"etl_run": "POST /etl/run"}


class Welcome(Schema):
    request_id = fields.String()
    api_latency_ms = fields.Float()
    service = fields.String(metadata={"example": SERVICE_NAME})
    version = fields.String(metadata={"example": __version__})
    description = fields.String()
    links = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Routes to follow as they are", "example": {"data": "/data"}})
    templates = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Routes that need values (RFC 6570 URI templates)", "example": {"run": "/runs/{id}"}})
    actions = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Routes that change state: method and path", "example": ACTIONS})


@docs(tags=["operations"], summary="Welcome: name, version and links to every route", responses=errors(429))
@response_schema(Welcome, 200, description="Name, version and links")
@querystring_schema(NoQuery)
@routes.get("/")
async def get_root(request: web.Request) -> web.Response:
    return success_response(request, {
        "service": SERVICE_NAME, "version": __version__,
        "description": "Crypto market data from CoinPaprika, CoinGecko and CSV files, kept fresh hourly.",
        "links": LINKS, "templates": TEMPLATES, "actions": ACTIONS,
    })
