"""Request-wide concerns: request id, access log and metrics, gzip, per-client rate limit."""
from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web

from service import metrics
from service.errors import envelope
from service.keys import RATE_LIMITER
from service.logs import request_id_var

log = logging.getLogger("service.access")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
REQUEST_START = web.RequestKey("request_start", float)
COMPRESS_MIN_BYTES = 1024


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    """Outermost: every response, errors included, carries X-Request-ID; every log line the request id."""
    sent = request.headers.get("X-Request-ID", "")
    request_id = sent if _SANE_REQUEST_ID.match(sent) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    request[REQUEST_START] = start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-ID"] = request_id
        _maybe_gzip(request, response)
        return response
    finally:
        elapsed = time.perf_counter() - start
        route = _route(request)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        log.info("request", extra={"method": request.method, "path": request.path, "status": status,
                                   "duration_ms": round(elapsed * 1000, 2), "remote": request.remote})
        request_id_var.reset(token)


@web.middleware
async def rate_limit(request: web.Request, handler) -> web.StreamResponse:
    limiter = request.app[RATE_LIMITER]
    if limiter.enabled:
        wait = limiter.check(request.remote or "unknown")
        if wait:
            return envelope(429, "too many requests from this address; slow down",
                            headers={"Retry-After": limiter.retry_after_header(wait)})
    return await handler(request)


def _maybe_gzip(request: web.Request, response: web.StreamResponse) -> None:
    """Large JSON bodies go gzipped to clients that accept it; small ones are not worth the CPU."""
    if not isinstance(response, web.Response) or response.body is None or response.status == 304:
        return
    if response.content_type != "application/json" or len(response.body) < COMPRESS_MIN_BYTES:
        return
    response.headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        response.enable_compression(web.ContentCoding.gzip)


def elapsed_ms(request: web.Request) -> float:
    return round((time.perf_counter() - request[REQUEST_START]) * 1000, 3)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical
