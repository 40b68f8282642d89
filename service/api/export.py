"""GET /export/history: bulk history as CSV or NDJSON, streamed from PostgreSQL's COPY to the client as it comes
(memory flat whatever the range), gzipped when accepted, a bounded number at once."""
from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import timezone

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema
from marshmallow import ValidationError, fields, validate, validates_schema

from service import metrics
from service.api.openapi import errors
from service.api.schemas import SYMBOL_RULES, IsoMoment, Name, QuerySchema
from service.web.errors import ApiError
from service.web.headers import add_headers
from service.web.keys import EXPORT_SLOTS, QUERY, READER, SETTINGS
from service.logs import request_id_var
from service.settings import KNOWN_SOURCES
from service.sql import SQL

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
RETRY_AFTER_BUSY = "10"
CSV_COLUMNS = ("observed_at", "source", "coin_id", "symbol", "name", "price_usd", "market_cap_usd",
               "volume_24h_usd", "percent_change_24h")


@dataclass(frozen=True)
class Format:
    content_type: str
    extension: str
    statement: str
    copy_options: dict


FORMATS = {
    "csv": Format("text/csv; charset=utf-8", "csv", SQL.select_history_export_csv,
                  {"format": "csv", "header": True}),
    # one JSON object per line: CSV format with a delimiter and quote JSON text never holds, so nothing is quoted
    "ndjson": Format("application/x-ndjson", "ndjson", SQL.select_history_export_json,
                     {"format": "csv", "delimiter": "\x1f", "quote": "\x01"}),
}


class Gzip:
    """The COPY output gzipped on its way out, at level 1: bulk files shrink about fivefold at a fraction of the
    CPU of aiohttp's level (which also hands every chunk to a thread)."""

    def __init__(self, write):
        self._write = write
        self._packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    async def __call__(self, data: bytes) -> None:
        packed = self._packer.compress(data)
        if packed:
            await self._write(packed)

    async def finish(self) -> None:
        await self._write(self._packer.flush())


class ExportQuery(QuerySchema):
    from_ = IsoMoment(data_key="from", required=True, default_timezone=timezone.utc, metadata={
        "description": "Earliest observed_at, inclusive (ISO-8601; no zone means UTC; a date alone is its "
                       "midnight UTC), e.g. 2026-11-01", "example": "2026-11-01T00:00:00Z"})
    to = IsoMoment(required=True, default_timezone=timezone.utc, metadata={
        "description": "Latest observed_at, inclusive (ISO-8601, as `from`)", "example": "2026-12-01T00:00:00Z"})
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's observations, e.g. csv"})
    symbol = fields.String(validate=SYMBOL_RULES,
                           metadata={"description": "Only this symbol's observations, case-insensitive, e.g. BTC"})
    format = Name(load_default="csv", validate=validate.OneOf(tuple(FORMATS)),
                  metadata={"description": "csv (a header row, then one row per observation) or ndjson "
                                           "(one /history record per line)"})

    @validates_schema
    def ordered_range(self, data, **_):
        if "from_" in data and "to" in data and data["from_"] > data["to"]:
            raise ValidationError("from is after to", field_name="from")


_CSV_EXAMPLE = (",".join(CSV_COLUMNS) + "\n2026-11-20T12:00:00Z,coingecko,bitcoin,BTC,Bitcoin,97123.45,"
                "1921000000000,41000000000,-1.25\n")
_NDJSON_EXAMPLE = ('{"symbol":"BTC","name":"Bitcoin","source":"coingecko","coin_id":"bitcoin",...,'
                   '"price_usd":97123.45,...,"observed_at":"2026-11-20T12:00:00Z",...}\n')


@docs(tags=["data"], summary="Bulk history export (CSV or NDJSON), streamed",
      description="Every observation with `from` <= observed_at <= `to`, once, ordered by observed_at, source and "
                  "coin_id, with the digits the source gave. Streamed as PostgreSQL produces it (never built "
                  "whole in memory); gzipped when the request's Accept-Encoding allows. A bounded number of "
                  "exports run at once: beyond it the answer is 429 with Retry-After. Should the database fail "
                  "mid-way, the connection is cut (the transfer ends incomplete, never silently short).",
      responses={200: {"description": "The observations, in the format asked for",
                       "content": {"text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
                                   "application/x-ndjson": {"schema": {"type": "string"},
                                                            "example": _NDJSON_EXAMPLE}}},
                 **errors(400, 429, 503, e429="Too many exports at once, or too many requests from this "
                                              "client; Retry-After says when to come back")})
@querystring_schema(ExportQuery)
@routes.get("/export/history")
async def get_export(request: web.Request) -> web.StreamResponse:
    query = request[QUERY]
    chosen = FORMATS[query["format"]]
    symbol = query["symbol"].strip().upper() if query.get("symbol") else None
    start, end = query["from_"], query["to"]
    name = f"history-{start.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{end.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    headers = {"Content-Type": chosen.content_type, "Cache-Control": "no-store", "Vary": "Accept-Encoding",
               "Content-Disposition": f'attachment; filename="{name}.{chosen.extension}"',
               "X-Request-ID": request_id_var.get()}
    if request.method == "HEAD":
        return web.Response(headers=headers)
    settings = request.app[SETTINGS]
    slots = request.app[EXPORT_SLOTS]
    with slots.take() as free:
        if not free:
            metrics.EXPORTS.labels("refused").inc()
            raise ApiError(429, f"{slots.limit} export(s) already running; try again later",
                           headers={"Retry-After": RETRY_AFTER_BUSY})
        async with request.app[READER].connection(timeout=settings.db_timeout_seconds) as connection:
            gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
            if gzipped:
                headers["Content-Encoding"] = "gzip"
            response = web.StreamResponse(headers=headers)
            add_headers(request, response)
            await response.prepare(request)
            output = Gzip(response.write) if gzipped else response.write
            metrics.EXPORTS.labels("started").inc()
            try:
                await connection.copy_from_query(chosen.statement, start, end, query.get("source"), symbol,
                                                 output=output, timeout=settings.export_timeout_seconds,
                                                 **chosen.copy_options)
                if gzipped:
                    await output.finish()
            except ConnectionError:
                return response  # the client went: COPY was cancelled, the connection goes back clean
            except Exception as exc:  # the answer has begun: no error envelope can follow; the cut says it
                metrics.EXPORTS.labels("failed").inc()
                log.warning("export failed mid-way; its connection is cut", extra={"error": str(exc)})
                if request.transport is not None:
                    request.transport.abort()
                return response
    await response.write_eof()
    return response
