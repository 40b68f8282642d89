"""A bound on the database work of one request: past it the request is a prompt 503, never a hang."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from service.web.keys import SETTINGS


@contextlib.asynccontextmanager
async def db_deadline(request: web.Request) -> AsyncIterator[None]:
    """TimeoutError (answered 503 by the error middleware) once DB_TIMEOUT_SECONDS have passed."""
    async with asyncio.timeout(request.app[SETTINGS].db_timeout_seconds):
        yield
