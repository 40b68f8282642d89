"""Headers every answer gets (no software versions, nosniff), page policies by route, and CORS for public reads."""
from __future__ import annotations

from aiohttp import web

from service import SERVICE_NAME
from service.web.keys import POLICIES, SETTINGS
from service.web.policies import Policy

# HTML pages (service.web.policies.page) served by the service itself: everything they load comes from us,
# nothing may frame them
_PAGE_POLICY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
CORS_METHODS = ("GET", "HEAD")
# Last-Event-ID: a cross-origin EventSource resuming GET /stream sends it
CORS_REQUEST_HEADERS = "Accept, Accept-Encoding, If-None-Match, Last-Event-ID, X-Request-ID"
CORS_EXPOSED = "ETag, Retry-After, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"


ALWAYS = {"Server": SERVICE_NAME, "X-Content-Type-Options": "nosniff"}
_CORS_ALL = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": CORS_EXPOSED}


def add_headers(request: web.Request, response: web.StreamResponse | web.HTTPException,
                policy: Policy | None = None) -> None:
    """The front middleware calls it for every answer the application makes, errors and cache hits included."""
    headers = response.headers
    headers.update(ALWAYS)
    if policy is None:
        policy = request.app[POLICIES].of_request(request)
    if policy.page:
        for name, value in _PAGE_POLICY.items():
            headers.setdefault(name, value)
    if policy.no_store:
        headers["Cache-Control"] = "no-store"
    elif "Origin" in request.headers and request.method in CORS_METHODS:
        allowed = allowed_origin(request)
        if allowed == "*":
            headers.update(_CORS_ALL)
        elif allowed:
            headers["Access-Control-Allow-Origin"] = allowed
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
            headers.add("Vary", "Origin")


def preflight(request: web.Request) -> web.Response | None:
    """The answer to a browser's OPTIONS before a cross-origin read; None for anything else (POST /etl/run's
    preflight included, which then gets no CORS headers: browsers on other sites never call it)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers \
            or request.app[POLICIES].of_request(request).no_store:
        return None
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
