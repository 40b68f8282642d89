"""One body shape for every success, one name per field across routes, no filter half-applied, and links on `/`
that work on a fresh install."""
from __future__ import annotations

import asyncio

import pytest

from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace

TOKEN = "a-token-of-enough-length"


async def body_of(client, method, path, status=200):
    response = await client.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == status, (path, await response.text())
    return await response.json()


async def test_every_json_success_carries_request_id_and_latency(make_client, settings, pool, tmp_path):
    outcome = await load_csv(pool, tmp_path / "a.csv", coin_rows(2) + "BTC,Bitcoin,10,5,5,1,1,2026-01-01T00:00:00Z\n")
    again = await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("csv",),
                                       csv_path=tmp_path / "a.csv"))
    paths = ["/", "/health", "/data", "/history?symbol=BTC", "/assets/BTC", "/stats", "/runs",
             f"/runs/{outcome.run_id}", f"/compare-runs?a={outcome.run_id}&b={again.run_id}", "/rejects"]
    for path in paths:
        response = await client.get(path)
        assert response.status == 200, path
        body = await response.json()
        assert list(body)[:2] == ["request_id", "api_latency_ms"], path
        assert body["request_id"] == response.headers["X-Request-ID"], path
        assert isinstance(body["api_latency_ms"], float), path
    started = await body_of(client, "POST", "/etl/run", 202)
    assert list(started)[:2] == ["request_id", "api_latency_ms"] and started["runs"][0]["source"] == "csv"
    for _ in range(100):  # let the triggered run end before the database goes
        if not (await body_of(client, "GET", "/runs?status=running"))["data"]:
            break
        await asyncio.sleep(0.05)


async def test_per_source_fields_have_one_name_across_routes(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(1))
    health = await body_of(client, "GET", "/health")
    stats = await body_of(client, "GET", "/stats")
    csv_health = next(s for s in health["sources"] if s["source"] == "csv")
    csv_stats = next(s for s in stats["sources"] if s["source"] == "csv")
    assert csv_health["last_success_at"] == csv_stats["last_success_at"] is not None
    assert set(csv_health["last_run"]) == set(csv_stats["last_run"])


@pytest.mark.parametrize(("path", "parameter"), [
    ("/data?source=csv&source=coingecko", "source"), ("/data?symbol=BTC&symbol=ETH", "symbol"),
    ("/data?sort=rank&sort=-rank", "sort"), ("/data?symbol=BTC,ETH", "symbol"),
    ("/history?symbol=BTC&symbol=ETH", "symbol"), ("/history?symbol=BTC,ETH", "symbol"),
    ("/history?symbol=BTC&source=csv&source=coingecko", "source"), ("/assets/BTC,ETH", "symbol"),
    ("/runs?status=failed&status=success", "status"), ("/rejects?run_id=1&run_id=2", "run_id"),
    ("/history?symbol=BTC&page=2", "page"),
])
async def test_a_filter_is_never_half_applied(client, path, parameter):
    body = await body_of(client, "GET", path, 400)
    assert parameter in body["error"]["fields"] and parameter in body["error"]["message"], body


async def test_links_on_root_work_on_a_fresh_install(client):
    root = await body_of(client, "GET", "/")
    assert root["links"] and root["templates"]["compare_runs"].startswith("/compare-runs")
    for name, link in root["links"].items():
        response = await client.get(link)
        assert response.status == 200, (name, link, await response.text())
    assert root["actions"] == {"etl_run": "POST /etl/run"}
