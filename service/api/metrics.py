"""GET /metrics: the process's Prometheus metrics in the text exposition format."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs
from prometheus_client import generate_latest

from service.web.policies import unlimited

routes = web.RouteTableDef()
# the classic text format every Prometheus server reads; generate_latest() writes it with the default escaping
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@docs(tags=["operations"], summary="Prometheus metrics (text format)", description="Never rate-limited.",
      responses={200: {"description": "Prometheus text exposition format 0.0.4",
                       "content": {"text/plain": {"schema": {"type": "string"}}}}})
@unlimited
@routes.get("/metrics")
async def get_metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE})
