"""Backfill fixtures: fake upstreams whose coins are current (their latest state is minutes old), and helpers."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.etl.backfill import Scope, backfill
from service.etl.wiring import wired_sources
from tests.etl.conftest import run_all
from tests.fakes.history import EPOCH, HOUR
from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika, make_gecko_coins, make_paprika_tickers


def now_minus(minutes: float) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes)).replace(microsecond=0)


@pytest.fixture
async def gecko(aiohttp_server):
    fake = FakeCoinGecko(make_gecko_coins(16, when=now_minus(3)))
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
async def paprika(aiohttp_server):
    fake = FakeCoinPaprika(make_paprika_tickers(6, when=now_minus(3)))
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
def bf_settings(settings, gecko, paprika):
    return dataclasses.replace(settings, coingecko_base_url=gecko.url, coinpaprika_base_url=paprika.url,
                               etl_sources=("coingecko", "coinpaprika"), coingecko_per_page=250)


async def live(pool, settings, *names: str) -> None:
    outcomes = await run_all(pool, settings, names or None)
    assert all(o.status == "success" for o in outcomes.values()), outcomes


async def run_backfill(pool, settings, scope: Scope, names=("coingecko",), **kwargs) -> dict:
    async with wired_sources(settings, names) as wired:
        outcomes = await backfill(pool, settings, wired.upstreams, scope, **kwargs)
    return {o.source: o for o in outcomes}


def history_requests(fake) -> list[tuple[float, str, dict]]:
    return [(t, path, query) for t, path, query, _ in fake.requests if "/market_chart/" in path
            or path.endswith("/historical")]


def hour_of(moment: datetime) -> datetime:
    return EPOCH + timedelta(seconds=(moment - EPOCH) // timedelta(seconds=HOUR) * HOUR)


def plain(number: Decimal) -> str:
    """A Decimal's digits as PostgreSQL prints the same numeric (no exponent)."""
    return format(number, "f")
