"""The dashboard's live parts: quotes from /stream update the market table without a reload, /gaps shades the missing
buckets of the price chart. Both routes answer through stand-ins speaking the contract's format (after the real
routes' validation), so the page meets a known quote and a known gap."""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from aiohttp import web

from service.app import create_app
from tests.browser.chromium import chromium, find_chromium, wait_until_drawn
from tests.browser.demo_data import load_demo
from tests.etl.conftest import gecko, paprika  # noqa: F401  (fixtures: the fake upstreams)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PRICE = "12345.678"


def with_stand_ins(app: web.Application, gap: dict, go: threading.Event) -> list[str]:
    """Answers /stream (once `go` is set, one `event: quote`: coinpaprika's BTC at NEW_PRICE, then keep-alive
    comments) and /gaps with stand-ins, so the page meets a known quote and a known gap; returns what /gaps was
    asked."""
    asked: list[str] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{request.scheme}://{request.host}/data?source=coinpaprika&symbol=BTC") as answer:
                (quote,) = (await answer.json())["data"]
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        while not go.is_set():
            await asyncio.sleep(0.1)
        quote["price_usd"] = float(NEW_PRICE)
        await response.write(f"id: 1\nevent: quote\ndata: {json.dumps(quote)}\n\n".encode())
        while True:
            await asyncio.sleep(5)
            await response.write(b": keep-alive\n\n")

    async def gaps(request: web.Request) -> web.Response:
        asked.append(request.query_string)
        return web.json_response({"request_id": "x", "data": [gap]})

    stand_ins = {"/stream": stream, "/gaps": gaps}

    @web.middleware
    async def answer_with_stand_ins(request: web.Request, handler):
        # the innermost middleware: the real routes validate the query, then the stand-ins answer
        return await stand_ins.get(request.path, handler)(request)

    app.middlewares.append(answer_with_stand_ins)
    return asked


def watch(base_url: str, paths: tuple[str, str], key: str, go: threading.Event) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(paths, 1366, 900, logs=True) as driver:
        driver.get(f"{base_url}/dashboard?symbol=BTC&interval=1h&mode=line")
        wait_until_drawn(driver, "line")
        row = f'#market tbody tr[data-key="{key}"] td:nth-child(4)'
        before = driver.find_element(By.CSS_SELECTOR, row).text
        go.set()
        WebDriverWait(driver, 30).until(lambda _: driver.find_element(By.ID, "live").get_attribute("data-quotes"))
        chart = driver.find_element(By.ID, "price-chart")
        return {"before": before, "after": driver.find_element(By.CSS_SELECTOR, row).text,
                "live": driver.find_element(By.ID, "live").get_attribute("data-state"),
                "gaps": chart.get_attribute("data-gaps"), "gap_buckets": chart.get_attribute("data-gap-buckets"),
                "legend": driver.find_element(By.ID, "price-legend").text,
                "console": [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]}


async def test_stream_quotes_update_the_table_and_gaps_are_shaded(
        aiohttp_server, settings, pool, tmp_path, paprika, gecko):  # noqa: F811
    paths = find_chromium()
    if paths is None:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    demo = await load_demo(pool, settings, tmp_path, paprika, gecko)
    coin_id = await pool.fetchval("SELECT coin_id FROM quotes_latest WHERE source = 'coinpaprika' AND symbol = 'BTC'")
    app = create_app(demo)
    # six hourly buckets missing from the CSV's BTC a day ago
    start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    gap = {"source": "csv", "coin_id": "btc-bitcoin", "start": start.isoformat().replace("+00:00", "Z"),
           "end": (start + timedelta(hours=6)).isoformat().replace("+00:00", "Z"), "missing": 6}
    go = threading.Event()
    asked = with_stand_ins(app, gap, go)  # before the server starts: the router freezes then
    server = await aiohttp_server(app)
    base_url = f"http://127.0.0.1:{server.port}"

    seen = await asyncio.wait_for(asyncio.to_thread(watch, base_url, paths, f"coinpaprika/{coin_id}", go),
                                  timeout=180)
    assert seen["console"] == []
    assert seen["live"] == "live"
    assert seen["before"] != seen["after"] == "12,345.68", seen
    assert asked and all("symbol=BTC" in query and "interval=1h" in query for query in asked)
    assert seen["gaps"] == "1" and seen["gap_buckets"] == "6", seen
    assert "shaded: no observation (csv: 6 buckets)" in seen["legend"]
