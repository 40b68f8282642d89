"""The error envelope: every failure becomes {"error": {"code", "message", ...}, "request_id"}."""
from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiohttp import web

from service.logs import request_id_var
from service.web.responses import json_response

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "invalid_parameters", 429: "rate_limited", 431: "headers_too_large", 500: "internal_error",
    503: "service_unavailable",
}
_DB_FAILURES = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.CannotConnectNowError, asyncpg.QueryCanceledError)


class ApiError(Exception):
    """An HTTP error with a machine-readable code and, for validation errors, the fields at fault."""

    def __init__(self, status: int, message: str, *, code: str | None = None, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status_code = status
        self.headers = headers
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.fields = fields


def envelope(status: int, message: str, *, code: str | None = None, fields: dict | None = None,
             headers=None, request_id: str | None = None) -> web.Response:
    """The one error body; request_id defaults to the current request's."""
    error = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        error["fields"] = fields
    return json_response({"error": error, "request_id": request_id or request_id_var.get()}, status=status,
                         headers=headers)


def error_response(request: web.Request, exc: Exception) -> web.Response:
    """The envelope for what a handler raised; an HTTPException below 400 (a redirect) is raised on."""
    if isinstance(exc, ApiError):
        return envelope(exc.status_code, exc.message, code=exc.code, fields=exc.fields, headers=exc.headers)
    if isinstance(exc, web.HTTPException):
        if exc.status_code < 400:
            raise exc
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return envelope(exc.status_code, _message(exc), headers=headers)
    if isinstance(exc, _DB_FAILURES):
        log.warning("database unavailable while answering", extra={"error": f"{type(exc).__name__}: {exc}"})
        return envelope(503, "the database is not answering; try again shortly", headers={"Retry-After": "5"})
    log.exception("unexpected error while answering", extra={"path": request.path})
    return envelope(500, "internal server error")


def _message(exc: web.HTTPException) -> str:
    if exc.status_code == 404:
        return "no such route or resource"
    if exc.status_code == 405:
        return "method not allowed here"
    text = exc.text or exc.reason
    return text.removeprefix(f"{exc.status_code}: ") if text else exc.reason


def validation_error(error, req, schema, error_status_code=None, error_headers=None):
    """aiohttp-apispec's error_callback: a bad parameter is a 400 naming each parameter at fault."""
    fields = error.normalized_messages() if hasattr(error, "normalized_messages") else {"_": str(error)}
    flat = _flatten(fields)
    # each name with its first problem: a hint (`did you mean limit?`, `encode '+' as %2B`) is seen at once
    named = ", ".join(f"{name} ({flat[name][0]})" if flat[name] else name for name in sorted(flat))
    raise ApiError(400, f"invalid parameter(s): {named}", code="invalid_parameters", fields=flat)


def _flatten(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"querystring": {"limit": [...]}}); callers want the names."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if key in ("querystring", "query", "json", "form", "match_info", "headers", "path") \
                and isinstance(value, dict):
            flat.update(_flatten(value))
        elif isinstance(value, dict):
            flat[key] = [str(v) for v in value.values()]
        else:
            flat[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat
