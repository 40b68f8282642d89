"""Compact JSON responses with exact decimals; success bodies are built so their per-request head can be spliced."""
from __future__ import annotations

import hashlib
import time
from typing import Any

from aiohttp import payload, web

from service.jsonutil import dumps
from service.logs import request_id_var

REQUEST_START = web.RequestKey("request_start", float)
# a JSON body this large is gzipped for clients that accept it (and says `Vary: Accept-Encoding`); a smaller one is
# not worth the CPU
COMPRESS_MIN_BYTES = 1024
# a 200 data body without its request_id/api_latency_ms head: what the response cache keeps
BODY_REST = web.RequestKey("body_rest", bytes)


def json_response(body: Any, *, status: int = 200, headers=None) -> web.Response:
    return web.Response(body=dumps(body), status=status, headers=headers, content_type="application/json")


def elapsed_ms(request: web.Request) -> float:
    return round((time.perf_counter() - request[REQUEST_START]) * 1000, 3)


def body_rest(fields: dict) -> bytes:
    """The body after its head: `,"field":...}` (or just `}`), to be joined to head() of each request."""
    tail = dumps(fields)
    return b"," + tail[1:] if len(tail) > 2 else b"}"


def head(request: web.Request) -> bytes:
    """`{"request_id":...,"api_latency_ms":...`: the two fields the contract puts first, fresh per request. A
    request id needs no JSON escaping (service.web.middlewares makes or accepts only [A-Za-z0-9._:-]), and a
    rounded float's repr is its JSON."""
    return ('{"request_id":"%s","api_latency_ms":%r' % (request_id_var.get(), elapsed_ms(request))).encode()


def success_response(request: web.Request, fields: dict, *, status: int = 200, headers=None) -> web.Response:
    """Every JSON route's success: request_id and api_latency_ms first, then `fields`. A 200 of a cached route
    is kept by the response-cache middleware without its head."""
    rest = body_rest(fields)
    if status == 200:
        request[BODY_REST] = rest
    return web.Response(body=head(request) + rest, status=status, headers=headers, content_type="application/json")


class Spliced(payload.Payload):
    """A body sent as its per-request head, then a rest shared by many answers (a cached page): the rest is never
    copied into a new body. For a 100 KB page those copies cost more than the second send."""

    def __init__(self, first: bytes, rest: bytes):
        super().__init__(rest, content_type="application/json")
        self._first = first
        self._size = len(first) + len(rest)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return (self._first + self._value).decode(encoding, errors)

    async def write(self, writer) -> None:
        await writer.write(self._first)
        await writer.write(self._value)


def spliced_response(request: web.Request, rest: bytes, *, status: int = 200) -> web.Response:
    """A JSON answer from a body_rest() computed earlier (shared or cached), with this request's head."""
    return web.Response(body=head(request) + rest, status=status, content_type="application/json")


def generation_etag(version: str, query_string: str) -> str:
    """A weak ETag naming the answer to this query in this data generation."""
    digest = hashlib.blake2b(query_string.encode(), digest_size=8).hexdigest()
    return f'W/"h{version}-{digest}"'


def cache_headers(etag: str) -> dict[str, str]:
    """Clients may keep the answer but must revalidate it (If-None-Match) before each use."""
    return {"ETag": etag, "Cache-Control": "no-cache"}
