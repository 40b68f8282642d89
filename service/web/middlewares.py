"""The request path, one middleware: request id, access log and metrics, bodies refused, CORS preflight, the
per-client rate limit, parameter validation, the response cache, the error envelope, headers and gzip."""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time

from aiohttp import web

from service.logs import request_id_var
from service.settings import Settings
from service.web import raw
from service.web.cache import Entry
from service.web.clients import client_address
from service.web.errors import envelope, error_response
from service.web.headers import add_headers, preflight
from service.web.keys import POLICIES, RATE_LIMITER, RESPONSE_CACHE, SNAPSHOTS
from service.web.policies import Policy
from service.web.responses import (BODY_REST, COMPRESS_MIN_BYTES, REQUEST_START, Spliced, cache_headers,
                                   generation_etag, head)
from service.web.traffic import TRAFFIC
from service.web.validation import remembered, remembered_key, validate

log = logging.getLogger("service.access")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# below this a cached body is copied behind its head and sent once; above, head and rest go as two sends, the
# rest never copied (measured: a 100 KB page costs 25 % less CPU this way, a 26 KB one more: the second send)
SPLICE_MIN_BYTES = 64 * 1024
LOGGED_CHARS = 200
# 32 hex digits like a uuid4's, without its cost: unique per process by the random half, per request by the count
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNT = itertools.count()


def chain(settings: Settings) -> list:
    """The middlewares, outermost first: one, since each hop costs on every request (the rate limit is checked
    in it, and costs nothing when API_RATE_LIMIT is 0)."""
    return [front]


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNT):016x}"


@web.middleware
async def front(request: web.Request, handler) -> web.StreamResponse:
    """Every response, errors included, carries X-Request-ID and the common headers; every log line the request
    id. A request with a body, a CORS preflight or one over the rate limit is answered here; any failure becomes
    the envelope."""
    sent = request.headers.get("X-Request-ID")
    request_id = sent if sent and _SANE_REQUEST_ID.match(sent) else new_request_id()
    token = request_id_var.set(request_id)
    request[REQUEST_START] = start = time.perf_counter()
    policy = request.app[POLICIES].of_request(request)
    status = 500
    try:
        try:
            response = _refused(request) or preflight(request) or _limited(request, policy) \
                or _hit(request, policy) or await _answer(request, handler, policy)
        except asyncio.CancelledError:
            raise
        except web.HTTPException as exc:
            if exc.status_code < 400:  # a redirect: aiohttp sends it, with our headers
                add_headers(request, exc, policy)
                exc.headers["X-Request-ID"] = request_id
                raise
            response = error_response(request, exc)
        except Exception as exc:
            response = error_response(request, exc)
        status = response.status
        if not response.prepared:  # a streamed answer (/stream, /export) took its headers before it began
            add_headers(request, response, policy)
            response.headers["X-Request-ID"] = request_id
        _maybe_gzip(request, response)
        return response
    finally:
        elapsed = time.perf_counter() - start
        TRAFFIC.observe(request.method, policy.label, status, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"method": request.method[:16], "path": _loggable(request.path),
                                       "status": status,
                                       "duration_ms": round(elapsed * 1000, 2), "remote": client_address(request)})
        request_id_var.reset(token)


def _refused(request: web.Request) -> web.Response | None:
    """No route takes a body: one is refused unread (the server never inflates it: auto_decompress is off),
    and the connection closed so the rest of it is not read either."""
    if "Content-Encoding" in request.headers:
        response = envelope(415, "request bodies are not accepted, compressed or not", code="unsupported_media_type")
    elif request.body_exists:
        response = envelope(413, "request bodies are not accepted", code="payload_too_large")
    else:
        return None
    response.force_close()
    return response


def _limited(request: web.Request, policy: Policy) -> web.Response | None:
    """429 past API_RATE_LIMIT (0: off) for this client address."""
    limiter = request.app[RATE_LIMITER]
    if limiter.rate <= 0 or policy.unlimited:
        return None
    wait = limiter.check(client_address(request))
    if wait:
        return envelope(429, "too many requests from this address; slow down",
                        headers={"Retry-After": limiter.retry_after_header(wait)})
    return None


def _hit(request: web.Request, policy: Policy) -> web.StreamResponse | None:
    """The answer from memory, when this very URL was validated before (so validation accepted it) and its
    validated query (its canonical key) got a 200 in this data generation; a 304 when If-None-Match names it.
    The fast path of most requests: no coroutine, nothing the handler would read is set up."""
    if not policy.cached or request.method != "GET":
        return None
    key = remembered_key(request.match_info.handler, request.raw_path)
    if key is None:
        return None
    app = request.app
    cache = app[RESPONSE_CACHE]
    entry = cache.get(key, app[SNAPSHOTS].generation)
    if entry is None:
        return None
    cache.hits += 1
    if entry.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=cache_headers(entry.etag))
    return _from_cache(request, entry)


async def _answer(request: web.Request, handler, policy: Policy) -> web.StreamResponse:
    """Validation first, so the cache only ever answers what validation accepted (_hit answered what it could): a
    GET of a cached route is computed once per data generation and canonical query, and an If-None-Match naming
    that answer gets a 304 without computing it."""
    route_handler = request.match_info.handler
    schemas = getattr(route_handler, "__schemas__", None)
    if schemas is None:
        return await handler(request)
    key = remembered(request, route_handler)
    if key is None:
        key = await validate(request, route_handler, schemas)
    if not policy.cached or request.method != "GET":
        return await handler(request)
    snapshots = request.app[SNAPSHOTS]
    cache = request.app[RESPONSE_CACHE]
    generation = snapshots.generation
    entry = cache.get(key, generation)
    # a hit carries its ETag (this generation's, for this key): only a miss computes one
    etag = generation_etag(snapshots.data_version, key) if entry is None else entry.etag
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=cache_headers(etag))
    if entry is None:
        pending = cache.computing(key, generation)
        if pending is None:
            return await _compute_first(request, handler, key, generation, etag)
        # right after a change many clients ask the same thing: one computes it, the others wait for it
        cache.waits += 1
        await asyncio.shield(pending)
        entry = cache.get(key, generation)
        if entry is None:  # the first one's answer was not a 200: find our own
            return await _compute(request, handler, key, generation, etag)
    cache.hits += 1
    return _from_cache(request, entry)


async def _compute_first(request: web.Request, handler, key: str, generation: int, etag: str) -> web.StreamResponse:
    cache = request.app[RESPONSE_CACHE]
    computing = cache.start(key, generation)
    try:
        return await _compute(request, handler, key, generation, etag)
    finally:
        cache.done(key, generation, computing)


async def _compute(request: web.Request, handler, key: str, generation: int, etag: str) -> web.StreamResponse:
    cache = request.app[RESPONSE_CACHE]
    cache.misses += 1
    response = await handler(request)
    if response.status == 200:
        response.headers.update(cache_headers(etag))
        rest = request.get(BODY_REST)
        if rest is not None:
            cache.put(key, generation, rest, etag)
    return response


def _from_cache(request: web.Request, entry: Entry) -> web.StreamResponse:
    if raw.plain(request):
        return raw.answer(request, entry.rest, raw.cached_block(entry))
    headers = {"Content-Type": "application/json", "ETag": entry.etag, "Cache-Control": "no-cache"}
    first = head(request)
    if len(entry.rest) + len(first) < COMPRESS_MIN_BYTES:
        return web.Response(body=first + entry.rest, headers=headers)
    headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=entry.gzipped(first), headers=headers)
    if len(entry.rest) >= SPLICE_MIN_BYTES:
        return web.Response(body=Spliced(first, entry.rest), headers=headers)
    return web.Response(body=first + entry.rest, headers=headers)


def _loggable(text: str) -> str:
    """A client-chosen value as a log line may carry it: a URL can be 8 KB, a log line should not."""
    return text if len(text) <= LOGGED_CHARS else f"{text[:LOGGED_CHARS]}... ({len(text)} chars)"


def _maybe_gzip(request: web.Request, response: web.StreamResponse) -> None:
    """Large JSON bodies go gzipped to clients that accept it; small ones are not worth the CPU."""
    if not isinstance(response, web.Response) or response.body is None or response.status == 304:
        return
    if "Vary" in response.headers:  # already decided (a cache hit)
        return
    if response.content_type != "application/json" or len(response.body) < COMPRESS_MIN_BYTES:
        return
    response.headers["Vary"] = "Accept-Encoding"
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        response.enable_compression(web.ContentCoding.gzip)
