"""Parameter validation by the routes' schemas (aiohttp-apispec's decorators, webargs' parser, our error hook),
remembered per raw URL: a URL always validates the same, so a repeated one costs a dict lookup, not a parse."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlencode

from aiohttp import web

from service.web.keys import PATH, QUERY

MAX_REMEMBERED = 4096
MAX_REMEMBERED_URL = 1024
# where each schema decorator puts its values: typed keys, not the decorators' strings
_PLACES = {"querystring": QUERY, "match_info": PATH}
_remembered: dict[tuple, tuple[tuple[tuple[str, dict], ...], str]] = {}


def remembered_key(handler, raw_path: str) -> str | None:
    """The canonical key validate() found for this very URL before; None when it has not (or did not keep it)."""
    known = _remembered.get((handler, raw_path))
    return None if known is None else known[1]


def remembered(request: web.Request, handler) -> str | None:
    """What validate() found for this very URL before, put in place again, and its canonical key; None when this
    URL has not been validated yet (or not kept)."""
    known = _remembered.get((handler, request.raw_path))
    if known is None:
        return None
    values, key = known
    for place, data in values:
        request[place] = dict(data)  # a copy: a handler may not change what the next request reads
    return key


async def validate(request: web.Request, handler, schemas: list[dict]) -> str:
    """Puts each schema's validated values where its decorator said (request[QUERY], request[PATH]) and returns the
    canonical key of the validated query; a bad parameter raises the 400 (service.web.errors.validation_error)."""
    url = request.raw_path
    parser = request.app["_apispec_parser"]
    values = []
    for schema in schemas:
        data = await parser.parse(schema["schema"], request, location=schema["location"], unknown=None)
        place = _PLACES[schema["put_into"]]
        values.append((place, data))
        request[place] = data
    key = canonical_key(request)
    if len(url) <= MAX_REMEMBERED_URL:
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[(handler, url)] = (tuple(values), key)
    return key


def canonical_key(request: web.Request) -> str:
    """The route and the query as validation read them (request[PATH], request[QUERY]): two
    spellings of one query (`symbol=btc`, `symbol=BTC`; another order) share an answer. The names sent are part
    of it, since a parameter sent is not always one defaulted (a cursor keeps its limit unless one is sent)."""
    route = request.match_info.route.resource.canonical
    path = _canonical(request.get(PATH) or request.match_info)
    query = _canonical(request.get(QUERY) or {})
    return f"{route}|{path}|{query}|{','.join(sorted(set(request.query)))}"


def _canonical(values) -> str:
    return urlencode(sorted((name, _text(value)) for name, value in values.items()))


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
