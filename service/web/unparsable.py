"""Requests aiohttp cannot parse (too long a URL or header, broken framing) get the JSON envelope and a short log.

aiohttp answers those itself, before any middleware, with `400 text/plain` echoing the bytes and an ERROR line
that can be hundreds of KB. Its RequestHandler.handle_error is the one hook for that answer, so it is replaced
(install(), idempotent): 414 for the request line, 431 for a header, 400 for anything else unreadable.
"""
from __future__ import annotations

import logging

from aiohttp import web, web_protocol
from aiohttp.http_exceptions import BadHttpMethod, BadHttpMessage, LineTooLong

from service import SERVICE_NAME
from service.web.errors import envelope
from service.web.middlewares import new_request_id

log = logging.getLogger("service.http")
# the parser reports which limit a line broke: the two differ so a URL and a header can be told apart
MAX_URL_BYTES = 8192
MAX_HEADER_BYTES = 8190
LOGGED_CHARS = 200


def unparsable_status(exc: BaseException | None, status: int) -> tuple[int, str]:
    """The status and message for a request the parser refused."""
    if isinstance(exc, LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else None
        if limit == MAX_URL_BYTES:
            return 414, f"the request line is longer than {MAX_URL_BYTES} bytes"
        return 431, f"a request header is longer than {MAX_HEADER_BYTES} bytes"
    if isinstance(exc, BadHttpMessage) and "too many headers" in str(exc).lower():
        return 431, "too many request headers"
    if status >= 500:
        return status, "internal server error"
    return status, "the request could not be parsed as HTTP/1.1"


def _handle_error(self: web_protocol.RequestHandler, request: web.BaseRequest, status: int = 500,
                  exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
    status, text = unparsable_status(exc, status)
    level = logging.DEBUG if isinstance(exc, BadHttpMethod) else logging.WARNING
    if log.isEnabledFor(level):
        detail = f"{type(exc).__name__}: {exc}" if exc is not None else str(message)
        log.log(level, "unparsable request", extra={
            "status": status, "remote": request.remote, "error": _truncated(detail)})
    if request.writer.output_size > 0:
        raise ConnectionError("a response is already on its way; cannot send the error")
    request_id = new_request_id()
    # outside the application: no middleware adds the common headers
    response = envelope(status, text, request_id=request_id,
                        headers={"X-Request-ID": request_id, "Server": SERVICE_NAME,
                                 "X-Content-Type-Options": "nosniff"})
    response.force_close()
    return response


def _truncated(text: str) -> str:
    return text if len(text) <= LOGGED_CHARS else f"{text[:LOGGED_CHARS]}... ({len(text)} chars)"


def install() -> None:
    web_protocol.RequestHandler.handle_error = _handle_error
