"""GET /dashboard: the operators' page, static HTML, CSS and JS served by the service itself (no third-party host)."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp_apispec import docs

from service.api.openapi import errors
from service.web.policies import page

routes = web.RouteTableDef()
DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"
STATIC_PREFIX = "/dashboard/static"


@docs(tags=["operations"], summary="The dashboard: sources' freshness, runs, rejects and price charts (HTML)",
      description="One page for people. It reads the public JSON routes (/health, /runs, /rejects, /data, "
                  "/assets/{symbol}, /candles) and everything it loads comes from this service.",
      responses={200: {"description": "The HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                 **errors(429)})
@page
@routes.get("/dashboard")
async def get_dashboard(request: web.Request) -> web.FileResponse:
    # the page is small and changes with a deploy: let browsers keep it but revalidate each time
    return web.FileResponse(DASHBOARD_DIR / "index.html", headers={"Cache-Control": "no-cache"})


routes.static(STATIC_PREFIX, DASHBOARD_DIR / "static")
