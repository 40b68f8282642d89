"""Builds the enabled sources from the registry, each API source with its own HTTP session, timeouts and rate
limit; a backfill of a source reads through the same upstream, so both share one request budget."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp

from service import __version__
from service.etl.registry import BY_NAME
from service.etl.sources import Source
from service.etl.sources.coingecko import key_header as coingecko_key_header  # noqa: F401  (tests use it here)
from service.etl.upstream import Upstream
from service.settings import Settings

USER_AGENT = f"crypto-market-data/{__version__}"


@dataclass
class Wired:
    sources: list[Source]
    upstreams: dict[str, Upstream] = field(default_factory=dict)  # by source name, API sources only


@contextlib.asynccontextmanager
async def wired_sources(settings: Settings, only: tuple[str, ...] | None = None) -> AsyncIterator[Wired]:
    async with contextlib.AsyncExitStack() as stack:
        wired = Wired([])
        for name in only or settings.etl_sources:
            module = BY_NAME[name].live()
            upstream = None
            if hasattr(module, "upstream"):
                session = await stack.enter_async_context(_session(settings))
                upstream = wired.upstreams[name] = module.upstream(settings, session)
            wired.sources.append(module.build(settings, upstream))
        yield wired


@contextlib.asynccontextmanager
async def enabled_sources(settings: Settings, only: tuple[str, ...] | None = None) -> AsyncIterator[list[Source]]:
    async with wired_sources(settings, only) as wired:
        yield wired.sources


def _session(settings: Settings) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=settings.http_total_timeout_seconds,
                                    sock_connect=settings.http_connect_timeout_seconds)
    return aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                                 raise_for_status=False)
