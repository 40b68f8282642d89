"""Builds the enabled sources, each API source with its own HTTP session, timeouts and rate limit."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp

from service import __version__
from service.etl.sources import Source
from service.etl.sources.coingecko import CoinGeckoSource
from service.etl.sources.coinpaprika import CoinPaprikaSource
from service.etl.sources.csv import CsvSource
from service.etl.upstream import TokenBucket, Upstream
from service.settings import Settings

USER_AGENT = f"crypto-market-data/{__version__}"
PRO_GECKO_HOST = "pro-api.coingecko.com"


@contextlib.asynccontextmanager
async def enabled_sources(settings: Settings, only: tuple[str, ...] | None = None) -> AsyncIterator[list[Source]]:
    names = only or settings.etl_sources
    async with contextlib.AsyncExitStack() as stack:
        sources: list[Source] = []
        future = settings.future_tolerance_seconds
        for name in names:
            if name == "csv":
                sources.append(CsvSource(settings.csv_path, future_tolerance=future))
            elif name == "coinpaprika":
                session = await stack.enter_async_context(_session(settings))
                sources.append(CoinPaprikaSource(_coinpaprika(settings, session), future_tolerance=future))
            elif name == "coingecko":
                session = await stack.enter_async_context(_session(settings))
                sources.append(CoinGeckoSource(_coingecko(settings, session), per_page=settings.coingecko_per_page,
                                               max_pages=settings.coingecko_max_pages, future_tolerance=future))
        yield sources


def _session(settings: Settings) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=settings.http_total_timeout_seconds,
                                    sock_connect=settings.http_connect_timeout_seconds)
    return aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                                 raise_for_status=False)


def coingecko_key_header(base_url: str) -> str:
    """Pro keys go to the pro API's host under their own header; every other root takes a demo key."""
    pro = (urlsplit(base_url).hostname or "").lower() == PRO_GECKO_HOST
    return "x-cg-pro-api-key" if pro else "x-cg-demo-api-key"


def _coinpaprika(settings: Settings, session: aiohttp.ClientSession) -> Upstream:
    headers = {"Authorization": settings.coinpaprika_api_key} if settings.coinpaprika_api_key else {}
    rate = settings.coinpaprika_requests_per_second
    return Upstream("coinpaprika", session, settings.coinpaprika_base_url, headers=headers,
                    bucket=TokenBucket(rate, capacity=max(1.0, rate)), max_retries=settings.http_max_retries,
                    retry_after_cap=settings.http_retry_after_cap_seconds)


def _coingecko(settings: Settings, session: aiohttp.ClientSession) -> Upstream:
    headers = {}
    if settings.coingecko_api_key:
        headers[coingecko_key_header(settings.coingecko_base_url)] = settings.coingecko_api_key
    rate = settings.coingecko_requests_per_minute / 60
    return Upstream("coingecko", session, settings.coingecko_base_url, headers=headers,
                    bucket=TokenBucket(rate, capacity=max(1.0, min(5.0, rate * 10))),
                    max_retries=settings.http_max_retries, retry_after_cap=settings.http_retry_after_cap_seconds)
