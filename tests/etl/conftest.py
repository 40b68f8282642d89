"""ETL fixtures: the fake upstreams served locally, settings pointing at them, and helpers to run sources."""
from __future__ import annotations

import dataclasses

import pytest

from service.etl.scheduler import Scheduler
from service.etl.wiring import enabled_sources
from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika


@pytest.fixture
async def paprika(aiohttp_server):
    fake = FakeCoinPaprika()
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
async def gecko(aiohttp_server):
    fake = FakeCoinGecko()
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
def etl_settings(settings, paprika, gecko, tmp_path):
    csv_path = tmp_path / "quotes.csv"
    csv_path.write_text("symbol,name,price_usd,last_updated\n"
                        "BTC,Bitcoin,91000.5,2026-11-25T15:00:00Z\n"
                        "ETH,Ethereum,3000.25,2026-11-25T15:00:00Z\n")
    return dataclasses.replace(settings, coinpaprika_base_url=paprika.url, coingecko_base_url=gecko.url,
                               csv_path=csv_path, coingecko_per_page=30)


async def run_all(pool, settings, only: tuple[str, ...] | None = None) -> dict:
    """One run of the enabled sources, as the service does it; outcomes by source name."""
    async with enabled_sources(settings, only) as sources:
        outcomes = await Scheduler(pool, sources, interval=3600, on_startup=False).run_all()
    return {outcome.source: outcome for outcome in outcomes}


async def run_row(pool, run_id: int):
    return await pool.fetchrow("SELECT * FROM etl_runs WHERE id = $1", run_id)


async def table_counts(pool, source: str | None = None) -> dict:
    return dict(await pool.fetchrow(
        "SELECT (SELECT count(*) FROM quotes_history WHERE $1::text IS NULL OR source = $1) AS history,"
        " (SELECT count(*) FROM quotes_latest WHERE $1::text IS NULL OR source = $1) AS latest,"
        " (SELECT count(*) FROM raw_api_records WHERE $1::text IS NULL OR source = $1) AS raw_api,"
        " (SELECT count(*) FROM raw_csv_blocks) AS raw_csv,"
        " (SELECT count(*) FROM etl_rejects WHERE $1::text IS NULL OR source = $1) AS rejects", source))
