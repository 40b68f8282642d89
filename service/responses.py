"""Compact JSON responses with exact decimals."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from service.jsonutil import dumps


def json_response(body: Any, *, status: int = 200, headers=None) -> web.Response:
    return web.Response(body=dumps(body), status=status, headers=headers, content_type="application/json")
