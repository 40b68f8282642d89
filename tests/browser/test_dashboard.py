"""The dashboard in headless Chromium on a service with loaded data: no console errors, nothing fetched from another
origin, every source's status shown, the price chart holding as many points as /candles returned."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from service.app import create_app
from tests.browser.demo_data import add_observation, load_demo
from tests.browser.chromium import chromium, find_chromium, save_whole_page, wait_until_drawn
from tests.etl.conftest import gecko, paprika  # noqa: F401  (fixtures: the fake upstreams)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def look_at_dashboard(base_url: str, paths: tuple[str, str], screenshot: Path, add_data) -> dict:
    """Opens the page (polling every 2 s), lets `add_data` land and waits for the chart to show it, switches the
    price chart to candles; returns what it showed and what the browser logged."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(paths, 1400, logs=True) as driver:
        driver.get(f"{base_url}/dashboard?symbol=BTC&interval=1h&mode=line&poll=2")
        wait_until_drawn(driver, "line")
        chart = driver.find_element(By.ID, "price-chart")
        before = int(chart.get_attribute("data-points"))
        add_data()
        WebDriverWait(driver, 30).until(lambda _: int(chart.get_attribute("data-points")) > before
                                        and chart.get_attribute("data-state") == "drawn")
        seen = {"before": before,
                "line": {name: chart.get_attribute(f"data-{name}") for name in ("points", "series", "candles-url")}}
        seen["sources"] = {card.get_attribute("data-source"): card.get_attribute("data-status")
                           for card in driver.find_elements(By.CSS_SELECTOR, "#sources .card")}
        seen["reject_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "#rejects tbody tr"))
        seen["reject_links"] = [a.get_attribute("href") for a in
                                driver.find_elements(By.CSS_SELECTOR, "#rejects tbody a")]
        driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=candles]").click()
        wait_until_drawn(driver, "candles")
        seen["candles"] = {name: chart.get_attribute(f"data-{name}") for name in ("points", "series")}
        seen["cookies"] = driver.get_cookies()
        save_whole_page(driver, screenshot, width=1400)
        seen["console"] = driver.get_log("browser")
        seen["requested"] = [json.loads(entry["message"])["message"]["params"]["request"]["url"]
                             for entry in driver.get_log("performance")
                             if '"Network.requestWillBeSent"' in entry["message"]]
        return seen


async def _candles(base_url: str, first_url: str) -> list[dict]:
    """Every candle the page's query returns, following next_cursor as the page does."""
    items, url = [], first_url
    async with aiohttp.ClientSession() as session:
        while url:
            async with session.get(base_url + url) as response:
                body = await response.json()
            items.extend(body["data"])
            url = f"/candles?cursor={body['next_cursor']}&limit=1000" if body["next_cursor"] else None
    return items


async def test_dashboard_shows_sources_runs_rejects_and_the_price_chart(
        aiohttp_server, settings, pool, tmp_path, paprika, gecko):  # noqa: F811
    paths = find_chromium()
    if paths is None:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    demo = await load_demo(pool, settings, tmp_path, paprika, gecko)
    app = create_app(demo)
    # GET /rejects lands from another branch; until it does, the page's request for it is a 404 the page explains
    has_rejects = any(r.resource is not None and r.resource.canonical == "/rejects" for r in app.router.routes())
    server = await aiohttp_server(app)
    base_url = f"http://127.0.0.1:{server.port}"
    screenshot = tmp_path / "dashboard.png"
    loop = asyncio.get_running_loop()

    def add_data() -> None:  # called from the browser's thread: the load runs on the test's event loop
        asyncio.run_coroutine_threadsafe(add_observation(pool, demo), loop).result(timeout=60)

    seen = await asyncio.wait_for(
        asyncio.to_thread(look_at_dashboard, base_url, paths, screenshot, add_data), timeout=180)
    print(f"dashboard screenshot: {screenshot}")

    problems = [e for e in seen["console"] if e["level"] in ("SEVERE", "WARNING")]
    if not has_rejects:
        problems = [e for e in problems if f"{base_url}/rejects?" not in e["message"]]
    assert problems == []
    # chrome:// are the browser's own pages (its new tab before the first navigation), data: and blob: inline bytes:
    # none of them reaches the network; everything else must go to the service itself
    requested = [url for url in seen["requested"] if not url.startswith(("chrome://", "chrome-untrusted://", "data:",
                                                                         "blob:"))]
    assert any(url.endswith(".js") for url in requested), requested
    assert all(url.startswith(base_url + "/") for url in requested), requested
    assert seen["cookies"] == []

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/health") as response:
            health = await response.json()
    statuses = {s["source"]: s["last_run"]["status"] for s in health["sources"]}
    assert set(statuses) == {"coinpaprika", "coingecko", "csv"}
    assert seen["sources"] == statuses, (seen["sources"], statuses)
    if has_rejects:
        assert seen["reject_rows"] >= 3 and all("/rejects?source=csv&run_id=" in h for h in seen["reject_links"])

    candles = await _candles(base_url, seen["line"]["candles-url"])
    series = {(c["source"], c["coin_id"]) for c in candles}
    assert len(candles) > 300 and {s for s, _ in series} == {"coinpaprika", "coingecko", "csv"}
    # the page noticed the observation added while it was open (one more hourly candle) without a reload
    assert int(seen["line"]["points"]) == seen["before"] + 1
    assert int(seen["line"]["points"]) == len(candles) == int(seen["candles"]["points"])
    assert int(seen["line"]["series"]) == len(series) == int(seen["candles"]["series"])
    assert screenshot.stat().st_size > 10_000
