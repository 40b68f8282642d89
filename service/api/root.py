"""GET /: what this service is and where its routes are."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs

from service import SERVICE_NAME, __version__
from service.responses import json_response

routes = web.RouteTableDef()

LINKS = {
    "health": "/health", "data": "/data", "history": "/history?symbol=BTC", "assets": "/assets/BTC",
    "stats": "/stats", "runs": "/runs", "compare_runs": "/compare-runs?a=1&b=2", "etl_run": "/etl/run",
    "metrics": "/metrics", "docs": "/docs", "openapi": "/api/docs/swagger.json",
}


@docs(tags=["operations"], summary="Welcome: name, version and links to every route")
@routes.get("/")
async def get_root(request: web.Request) -> web.Response:
    return json_response({
        "service": SERVICE_NAME, "version": __version__,
        "description": "Crypto market data from CoinPaprika, CoinGecko and CSV files, kept fresh hourly.",
        "links": LINKS,
    })
