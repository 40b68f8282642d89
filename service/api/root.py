"""GET /: what this service is and where its routes are."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, response_schema
from marshmallow import Schema, fields

from service import SERVICE_NAME, __version__
from service.responses import json_response

routes = web.RouteTableDef()

LINKS = {
    "health": "/health", "data": "/data", "history": "/history?symbol=BTC", "assets": "/assets/BTC",
    "stats": "/stats", "runs": "/runs", "compare_runs": "/compare-runs?a=1&b=2", "etl_run": "/etl/run",
    "metrics": "/metrics", "docs": "/docs", "openapi": "/api/docs/swagger.json",
    "candles": "/candles?symbol=BTC&interval=1d", "dashboard": "/dashboard",
}


class Welcome(Schema):
    service = fields.String(metadata={"example": SERVICE_NAME})
    version = fields.String(metadata={"example": __version__})
    description = fields.String()
    links = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"example": {"data": "/data"}})


@docs(tags=["operations"], summary="Welcome: name, version and links to every route")
@response_schema(Welcome, 200, description="Name, version and links")
@routes.get("/")
async def get_root(request: web.Request) -> web.Response:
    return json_response({
        "service": SERVICE_NAME, "version": __version__,
        "description": "Crypto market data from CoinPaprika, CoinGecko and CSV files, kept fresh hourly.",
        "links": LINKS,
    })
