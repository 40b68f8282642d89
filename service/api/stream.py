"""GET /stream: Server-Sent Events of changes to the latest state, resumable by Last-Event-ID within the replay
window, with heartbeat comments; slow clients are dropped, open streams are capped."""
from __future__ import annotations

import contextlib
import logging

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema
from marshmallow import fields, validate

from service.api.openapi import errors
from service.api.schemas import SYMBOL_RULES, Name, QuerySchema
from service.change_feed import ChangeFeed, Subscriber
from service.web.errors import ApiError
from service.web.headers import add_headers
from service.web.keys import CHANGE_FEED, POOL, QUERY, SETTINGS
from service.logs import request_id_var
from service.settings import KNOWN_SOURCES
from service.sql import SQL

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
CONTENT_TYPE = "text/event-stream"
RECONNECT_MS = 3000  # what EventSource waits before reconnecting after a cut
RETRY_AFTER_FULL = "10"


class StreamQuery(QuerySchema):
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's changes, e.g. coingecko"})
    symbol = fields.String(validate=SYMBOL_RULES,
                           metadata={"description": "Only this symbol's changes, case-insensitive, e.g. BTC"})


_EXAMPLE = ('retry: 3000\nid: 41\n\n'
            'id: 42\nevent: quote\ndata: {"symbol":"BTC","name":"Bitcoin","source":"coingecko",'
            '"coin_id":"bitcoin","price_usd":97123.45,...,"observed_at":"2026-11-20T12:00:00Z"}\n\n'
            ': keep-alive\n\n')


@docs(tags=["data"], summary="Live changes to the latest state (Server-Sent Events)",
      description="Each change to the latest state after the connection is one `event: quote` whose `data` is the "
                  "record as /data serves it and whose `id` is its place in the change sequence. On reconnecting, "
                  "send the last id received as the `Last-Event-ID` header (EventSource does so by itself): the "
                  "changes missed since come first, in order. When they can no longer be replayed (older than "
                  "the replay window, or an id this database never gave) an `event: reset` comes instead: reload "
                  "/data. A comment line at least every 15 s keeps idle connections open. A client that falls too "
                  "far behind is disconnected; past the cap on open streams the answer is 503 with Retry-After.",
      parameters=[{"in": "header", "name": "Last-Event-ID", "required": False, "schema": {"type": "string"},
                   "description": "The id of the last event received, to resume from"}],
      responses={200: {"description": "An endless event stream",
                       "content": {CONTENT_TYPE: {"schema": {"type": "string"}, "example": _EXAMPLE}}},
                 **errors(400, 429, 503, e503="Too many open streams, or the database is not answering; "
                                              "Retry-After says when to try again")})
@querystring_schema(StreamQuery)
@routes.get("/stream")
async def get_stream(request: web.Request) -> web.StreamResponse:
    query = request[QUERY]
    symbol = query["symbol"].strip().upper() if query.get("symbol") else None
    feed = request.app[CHANGE_FEED]
    settings = request.app[SETTINGS]
    if feed.open_streams() >= settings.stream_max_clients:
        raise ApiError(503, "too many open streams; try again later", headers={"Retry-After": RETRY_AFTER_FULL})
    headers = {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
               "X-Request-ID": request_id_var.get()}
    if request.method == "HEAD":
        return web.Response(headers=headers)
    subscriber = Subscriber(query.get("source"), symbol, settings.stream_client_buffer_kb * 1024, request.transport)
    position = feed.subscribe(subscriber)
    response = web.StreamResponse(headers=headers)
    add_headers(request, response)
    try:
        await response.prepare(request)
        await _opening(request, response, feed, subscriber, position)
        subscriber.go_live(chunked=response.headers.get("Transfer-Encoding", "").lower() == "chunked")
        await subscriber.finished.wait()  # closed by shutdown, a cut, or the client leaving
    except ConnectionError:
        pass  # the client went, or was cut for falling behind: nothing more can reach it
    except Exception as exc:  # the answer has begun: no error envelope can follow, so the cut is the signal
        log.warning("stream failed; its connection is cut so the client reconnects", extra={"error": str(exc)})
        _cut(request)
    finally:
        feed.unsubscribe(subscriber)
    return response


async def _opening(request: web.Request, response: web.StreamResponse, feed: ChangeFeed, subscriber: Subscriber,
                   position: int) -> None:
    """What comes before the live changes: the reconnect delay and, when resuming, the missed changes (or
    `event: reset` when they cannot be replayed); then the position, as an id alone, which moves EventSource's
    last id without firing an event."""
    await response.write(b"retry: %d\n" % RECONNECT_MS)
    sent = request.headers.get("Last-Event-ID")
    if sent is not None:
        resume_from = _event_id(sent)
        bounds = await request.app[POOL].fetchrow(SQL.select_quote_changes_bounds,
                                                  timeout=request.app[SETTINGS].db_timeout_seconds)
        newest = max(bounds["newest"], position)
        if resume_from is None or resume_from < bounds["pruned_through"] or resume_from > newest:
            reason = _reset_reason(resume_from, bounds["pruned_through"])
            await response.write(b'id: %d\nevent: reset\ndata: {"reason":"%b"}\n\n' % (position, reason))
            return
        await response.write(b"\n")
        async for missed in feed.changes_after(resume_from, position):
            await response.write(b"".join(change.event for change in missed if subscriber.wants(change)))
    await response.write(b"id: %d\n\n" % position)


def _event_id(sent: str) -> int | None:
    text = sent.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _reset_reason(resume_from: int | None, pruned_through: int) -> bytes:
    if resume_from is None:
        return b"Last-Event-ID is not an id this stream gave; reload /data"
    if resume_from < pruned_through:
        return b"the changes since Last-Event-ID are past the replay window; reload /data"
    return b"Last-Event-ID is ahead of this database's changes; reload /data"


def _cut(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


async def close_streams(app: web.Application) -> None:
    """on_shutdown: every stream ends now (its handler returns), so stopping never waits on an open stream."""
    with contextlib.suppress(KeyError):
        app[CHANGE_FEED].close_all()
