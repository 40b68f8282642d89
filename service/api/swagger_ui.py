"""GET /docs: Swagger UI from the vendored swagger-ui-dist (service/static/swagger-ui), reading only our document."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from service.web.policies import page

SWAGGER_UI_DIR = Path(__file__).resolve().parent.parent / "static" / "swagger-ui"
routes = web.RouteTableDef()


@page
@routes.get("/docs", allow_head=False)
async def get_docs(request: web.Request) -> web.FileResponse:
    # any query (?url=, ?configUrl=) is ignored: the page and its script name the document themselves
    return web.FileResponse(SWAGGER_UI_DIR / "index.html", headers={"Cache-Control": "no-cache"})


routes.static("/docs/static", SWAGGER_UI_DIR)
