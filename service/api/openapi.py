"""The OpenAPI 3 document: built by aiohttp-apispec from the routes' decorators, finished here once."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import AiohttpApiSpec

from service import SERVICE_NAME, __version__
from service.api.schemas import Error
from service.web.errors import CODES

DOCUMENT_URL = "/api/docs/swagger.json"
BEARER = "adminToken"
_DESCRIPTIONS = {
    400: "A bad parameter; error.fields names each one at fault",
    401: "Missing or wrong token",
    404: "No such resource",
    409: "An ETL run is already in progress",
    429: "Too many requests from this client; Retry-After says when to come back",
    503: "The database is not answering; Retry-After says when to try again",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
# What each error answer really looks like: Swagger UI would otherwise make one up from the schema (a 429 with the
# 400's code, `fields` with `additionalProp1`)
_MESSAGES = {
    400: "invalid parameter(s): limit (Must be greater than or equal to 1 and less than or equal to 500.)",
    401: "a valid admin token is required", 404: "not found",
    409: "an ETL run is already in progress", 429: "too many requests from this address; slow down",
    503: "the database is not answering; try again shortly",
}
_EXAMPLE_REQUEST_ID = "6f1c2e9a4b7d4e0f"


def errors(*statuses: int, **descriptions: str) -> dict:
    """The error answers of a route, each with the error envelope's schema; `descriptions` (`e404=...`) override."""
    answers = {}
    for status in statuses:
        answer = {"description": descriptions.get(f"e{status}", _DESCRIPTIONS[status]), "schema": Error}
        if status in (429, 503):
            answer["headers"] = _RETRY_AFTER
        answers[status] = answer
    return answers


def error_example(status: int) -> dict:
    """The error envelope as the service answers `status`."""
    error = {"code": "invalid_parameters" if status == 400 else CODES[status], "message": _MESSAGES[status]}
    if status == 400:
        error["fields"] = {"limit": ["Must be greater than or equal to 1 and less than or equal to 500."]}
    return {"error": error, "request_id": _EXAMPLE_REQUEST_ID}


NOT_MODIFIED = {304: {"description": "Not modified: the ETag sent in If-None-Match still names the answer"}}
# what every route that reads the database can answer besides its own
READ_ERRORS = errors(400, 429, 503)


def setup(app: web.Application, **options) -> None:
    """Registers the document (and, through `options`, Swagger UI) for the routes already added to `app`."""
    spec = AiohttpApiSpec(
        url=DOCUMENT_URL, title=SERVICE_NAME, version=__version__, openapi_version="3.0.3",
        info={"description": "Crypto market data (CoinPaprika, CoinGecko, CSV) kept fresh in PostgreSQL."},
        **options)
    spec.spec.components.security_scheme(
        BEARER, {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN, sent as Authorization: Bearer"})
    spec.register(app, in_place=True)
    _finish(app["swagger_dict"])


def _finish(document: dict) -> None:
    for schema in document["components"]["schemas"].values():
        for prop in schema.get("properties", {}).values():
            # apispec writes a nullable nested object as anyOf [its schema, an untyped nullable object]
            if {"type": "object", "nullable": True} in prop.get("anyOf", ()):
                prop["anyOf"] = [{"nullable": True, "enum": [None]} if branch.get("nullable") else branch
                                 for branch in prop["anyOf"]]
    for operations in document["paths"].values():
        # aiohttp answers HEAD for every GET; listing each route twice only clutters the document
        operations.pop("head", None)
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                media = answer.get("content", {}).get("application/json", {})
                if media.get("schema", {}).get("$ref", "").endswith("/Error") and int(status) in _MESSAGES:
                    media["example"] = error_example(int(status))
        for operation in operations.values():
            # the docs decorator always adds Swagger 2's `produces`, which OpenAPI 3 does not allow
            operation.pop("produces", None)
