"""Identity fixtures: the fake upstreams serving the real recorded payloads, and settings pointing at them."""
from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from service.etl.scheduler import Scheduler
from service.etl.wiring import enabled_sources
from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika
from tests.identity.recorded import GECKO_TOP_100, PAPRIKA_2019


def recorded(path) -> list[dict]:
    return json.loads(path.read_bytes(), parse_float=Decimal)


@pytest.fixture
async def paprika(aiohttp_server):
    fake = FakeCoinPaprika(recorded(PAPRIKA_2019))
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
async def gecko(aiohttp_server):
    fake = FakeCoinGecko(recorded(GECKO_TOP_100))
    fake.url = fake.base_url(await aiohttp_server(fake.make_app()))
    return fake


@pytest.fixture
def id_settings(settings, paprika, gecko, tmp_path):
    links = tmp_path / "asset_links"
    links.write_text("# none\n")
    return dataclasses.replace(settings, coinpaprika_base_url=paprika.url, coingecko_base_url=gecko.url,
                               coingecko_per_page=250, asset_links_path=links, csv_path=tmp_path / "none.csv")


async def run(pool, settings, *names: str) -> None:
    async with enabled_sources(settings, names) as sources:
        outcomes = await Scheduler(pool, sources, interval=3600, on_startup=False).run_all()
    assert all(o.status == "success" for o in outcomes), [(o.source, o.error) for o in outcomes]


async def asset_of(pool, source: str, coin_id: str) -> int:
    return await pool.fetchval("SELECT asset_id FROM asset_sources WHERE source = $1 AND coin_id = $2",
                               source, coin_id)


async def assert_links_hold(pool) -> None:
    """No asset holds two coins of one source; the latest state names the asset its link names."""
    assert await pool.fetchval(
        "SELECT count(*) FROM (SELECT asset_id, source FROM asset_sources GROUP BY 1, 2 HAVING count(*) > 1) t") == 0
    assert await pool.fetchval(
        "SELECT count(*) FROM quotes_latest l JOIN asset_sources m USING (source, coin_id) "
        "WHERE l.asset_id <> m.asset_id") == 0
