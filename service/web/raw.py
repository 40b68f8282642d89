"""A JSON 200 written as the raw HTTP/1.1 bytes aiohttp would write for it (status line, headers, body), in one
write: aiohttp's Response (its header multidict, preparation and serialization) costs about 13 us of a request that
the static app answers in about 45 us under load (measured), the largest single cost left on a cache hit.

Only for the plainest request: GET over HTTP/1.1 keep-alive, without Origin (CORS) and without gzip; any other goes
through aiohttp. tests/api/test_raw_answers.py holds the bytes equal to aiohttp's answer to the same request."""
from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate

from aiohttp import HttpVersion11, web

from service.logs import request_id_var
from service.web.cache import Entry
from service.web.headers import ALWAYS
from service.web.responses import COMPRESS_MIN_BYTES, head

_date: tuple[int, bytes] = (0, b"")
_UNTAGGED: dict[bool, bytes] = {}


def plain(request: web.Request) -> bool:
    """Whether a raw answer says all aiohttp's would: nothing in the request asks for more (CORS, gzip, closing)."""
    headers = request.headers
    return request.method == "GET" and request.version == HttpVersion11 and request.keep_alive \
        and "Origin" not in headers and "gzip" not in headers.get("Accept-Encoding", "").lower()


def answer(request: web.Request, rest: bytes, block: Callable[[bool], bytes]) -> RawAnswer:
    """This request's head, then `rest` (service.web.responses.body_rest), after the headers `block(vary)` gives:
    `Vary: Accept-Encoding` where the size makes gzip worth it, as the middleware decides for aiohttp's answers."""
    first = head(request)
    return RawAnswer(block(len(first) + len(rest) >= COMPRESS_MIN_BYTES), request_id_var.get(), first, rest)


def cached_block(entry: Entry) -> Callable[[bool], bytes]:
    """The status line and headers of a cached answer (its ETag), built once per cache entry."""
    def block(vary: bool) -> bytes:
        built = entry.raw_heads.get(vary)
        if built is None:
            built = entry.raw_heads[vary] = _block((f"ETag: {entry.etag}", "Cache-Control: no-cache"), vary)
        return built
    return block


def untagged_block(vary: bool) -> bytes:
    """The status line and headers of an answer without an ETag (/health)."""
    built = _UNTAGGED.get(vary)
    if built is None:
        built = _UNTAGGED[vary] = _block((), vary)
    return built


def _block(lines: tuple[str, ...], vary: bool) -> bytes:
    every = ["HTTP/1.1 200 OK", "Content-Type: application/json", *lines, *(["Vary: Accept-Encoding"] if vary else []),
             *(f"{name}: {value}" for name, value in ALWAYS.items())]
    return ("\r\n".join(every) + "\r\n").encode("latin-1")


class RawAnswer(web.StreamResponse):
    """Written whole when aiohttp prepares it; complete already for the middleware (`prepared`), which adds nothing."""

    def __init__(self, block: bytes, request_id: str, body_head: bytes, body_rest: bytes):
        super().__init__(status=200)
        length = len(body_head) + len(body_rest)
        self._bytes = b"".join((block, b"X-Request-ID: %s\r\nContent-Length: %d\r\nDate: %s\r\n\r\n" % (
            request_id.encode(), length, _http_date()), body_head, body_rest))

    @property
    def prepared(self) -> bool:
        return True

    @property
    def keep_alive(self) -> bool:
        return True

    async def prepare(self, request: web.BaseRequest) -> None:
        await request.writer.write_eof(self._bytes)  # one write, then the writer's own back-pressure (drain)

    async def write_eof(self, data: bytes = b"") -> None:
        return None


def _http_date() -> bytes:
    """The Date header's value, formatted once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True).encode())
    return _date[1]
