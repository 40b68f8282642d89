"""A browser's own EventSource (headless Chromium) on GET /stream receives a change the ETL committed."""
from __future__ import annotations

import asyncio
import json

import pytest

from service.app import create_app
from service.web.keys import CHANGE_FEED
from tests.api.helpers import coin_rows, load_csv
from tests.browser.chromium import chromium, find_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OPEN = """
window.quotes = []; window.opened = false;
const source = new EventSource('/stream?symbol=c1');
source.onopen = () => { window.opened = true; };
source.addEventListener('quote', (event) => window.quotes.push({id: event.lastEventId, data: event.data}));
"""


def _wait_for(driver, script: str, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


async def test_eventsource_in_chromium_receives_a_change(aiohttp_server, settings, pool, tmp_path):
    paths = find_chromium()
    if paths is None:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    server = await aiohttp_server(create_app(settings))
    with chromium(paths, 800, logs=True) as driver:
        # any page of the service: the EventSource is then same-origin, as the dashboard's is
        await asyncio.to_thread(driver.get, f"http://127.0.0.1:{server.port}/health")
        await asyncio.to_thread(driver.execute_script, OPEN)
        assert await asyncio.to_thread(_wait_for, driver, "return window.opened")
        await load_csv(pool, tmp_path / "a.csv", coin_rows(3, hour=1, price="123.4500"))
        quotes = await asyncio.to_thread(_wait_for, driver, "return window.quotes.length && window.quotes")
        assert len(quotes) == 1, quotes
        # the server ends the stream (as a restart would); what changes before EventSource reconnects (it waits
        # the stream's `retry`, 3 s) comes first on the new stream, which EventSource opens with Last-Event-ID
        server.app[CHANGE_FEED].close_all()
        await load_csv(pool, tmp_path / "b.csv", coin_rows(3, hour=2, price="2"))
        await load_csv(pool, tmp_path / "c.csv", coin_rows(3, hour=3, price="3"))
        resumed = await asyncio.to_thread(_wait_for, driver, "return window.quotes.length >= 3 && window.quotes")
        errors = [entry for entry in driver.get_log("browser")
                  if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]]
    assert [json.loads(q["data"])["price_usd"] for q in resumed] == [123.45, 2, 3]
    assert [int(q["id"]) for q in resumed] == sorted(int(q["id"]) for q in resumed)
    record = json.loads(quotes[0]["data"])
    assert record["symbol"] == "C1" and record["source"] == "csv"
    assert '"price_usd":123.4500' in quotes[0]["data"]
    assert int(quotes[0]["id"]) > 0
    assert errors == [], errors
