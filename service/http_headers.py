"""Headers every answer gets (no software versions, nosniff), page policies by route, and CORS for public reads."""
from __future__ import annotations

from aiohttp import web

from service import SERVICE_NAME
from service.keys import SETTINGS

# HTML pages served by the service itself: everything they load comes from us, nothing may frame them
_PAGE_POLICY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PAGE_PATHS = ("/docs", "/dashboard")
# answers that must never sit in a cache: a token-bearing request's result
NO_STORE_PATHS = ("/etl/run",)
CORS_METHODS = ("GET", "HEAD")
# Last-Event-ID: a cross-origin EventSource resuming GET /stream sends it
CORS_REQUEST_HEADERS = "Accept, Accept-Encoding, If-None-Match, Last-Event-ID, X-Request-ID"
CORS_EXPOSED = "ETag, Retry-After, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every answer the application makes, errors and cache hits included."""
    headers = response.headers
    headers["Server"] = SERVICE_NAME
    headers["X-Content-Type-Options"] = "nosniff"
    path = request.path
    if _under(path, PAGE_PATHS):
        for name, value in _PAGE_POLICY.items():
            headers.setdefault(name, value)
    if _under(path, NO_STORE_PATHS):
        headers["Cache-Control"] = "no-store"
    elif request.method in CORS_METHODS:
        allowed = allowed_origin(request)
        if allowed:
            headers["Access-Control-Allow-Origin"] = allowed
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
            if allowed != "*":
                headers.add("Vary", "Origin")


@web.middleware
async def cors_preflight(request: web.Request, handler) -> web.StreamResponse:
    """A browser's OPTIONS before a cross-origin read is answered here; anything else goes on (POST /etl/run's
    preflight included, which then gets no CORS headers: browsers on other sites never call it)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers \
            or _under(request.path, NO_STORE_PATHS):
        return await handler(request)
    wanted = request.headers["Access-Control-Request-Method"].upper()
    allowed = allowed_origin(request)
    if wanted not in CORS_METHODS or not allowed:
        return web.Response(status=204)  # no Allow-* headers: the browser refuses the cross-origin request
    headers = {"Access-Control-Allow-Origin": allowed, "Access-Control-Allow-Methods": ", ".join(CORS_METHODS),
               "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS, "Access-Control-Max-Age": PREFLIGHT_MAX_AGE}
    if allowed != "*":
        headers["Vary"] = "Origin"
    return web.Response(status=204, headers=headers)


def allowed_origin(request: web.Request) -> str | None:
    """The Access-Control-Allow-Origin value for this request, or None when its origin may not read us."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    origins = request.app[SETTINGS].cors_origins
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
