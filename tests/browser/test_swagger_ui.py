"""Swagger UI in headless Chromium: /docs (the vendored swagger-ui-dist) lists GET /data, "Try it out" ->
"Execute" shows a 200 with records, the page's CSP holds, and ?url= / ?configUrl= cannot swap the document."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile

import pytest
from aiohttp import web

from service.app import create_app
from tests.api.helpers import coin_rows, load_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000")


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    return chromium, driver


@contextlib.contextmanager
def browser(chromium: str, driver_path: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="cmd-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def try_data_in_swagger_ui(base_url: str, chromium: str, driver_path: str) -> tuple[str, str, list]:
    """Drives the page like a person would; returns the response status and body Swagger UI shows, and the
    browser's console errors (a CSP violation shows there)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with browser(chromium, driver_path) as driver:
        wait = WebDriverWait(driver, 30)
        driver.get(f"{base_url}/docs")
        operation = wait.until(ec.presence_of_element_located((By.ID, "operations-data-get_data")))
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#operations-data-get_data .try-out__btn"))
                   ).click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#operations-data-get_data .execute"))).click()
        live = "#operations-data-get_data .live-responses-table .response"
        status = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, f"{live} .response-col_status")))
        body = driver.find_element(By.CSS_SELECTOR, f"{live} .response-col_description")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        return status.text.strip(), body.text, errors


def open_docs_with(url: str, chromium: str, driver_path: str) -> str:
    """The page's text once Swagger UI has rendered whatever document it chose to read."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with browser(chromium, driver_path) as driver:
        driver.get(url)
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".info .title")))
        return driver.find_element(By.TAG_NAME, "body").text


async def test_docs_runs_get_data_with_try_it_out(aiohttp_server, settings, pool, tmp_path):
    chromium, driver = browser_paths()
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    server = await aiohttp_server(create_app(settings))
    base_url = f"http://127.0.0.1:{server.port}"
    status, body, errors = await asyncio.wait_for(
        asyncio.to_thread(try_data_in_swagger_ui, base_url, chromium, driver), timeout=120)
    assert status == "200", body[:2000]
    assert '"coin_id"' in body and '"C0"' in body, body[:2000]
    assert errors == [], errors  # nothing the page needs was refused by its Content-Security-Policy


async def test_docs_ignores_a_document_or_configuration_named_in_its_url(aiohttp_server, settings):
    chromium, driver = browser_paths()
    asked = []

    async def evil(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.json_response({"openapi": "3.0.0", "info": {"title": "EVIL TITLE", "version": "6.6.6"},
                                  "paths": {}, "url": f"http://127.0.0.1:{request.url.port}/evil.json"},
                                 headers={"Access-Control-Allow-Origin": "*"})

    attacker = web.Application()
    attacker.router.add_get("/{name}", evil)
    attacker_server = await aiohttp_server(attacker)
    server = await aiohttp_server(create_app(settings))
    evil_url = f"http://127.0.0.1:{attacker_server.port}"
    for query in (f"?url={evil_url}/evil.json", f"?configUrl={evil_url}/config.json",
                  f"?url={evil_url}/evil.json&configUrl={evil_url}/config.json"):
        text = await asyncio.wait_for(asyncio.to_thread(
            open_docs_with, f"http://127.0.0.1:{server.port}/docs{query}", chromium, driver), timeout=120)
        assert "crypto-market-data" in text and "EVIL" not in text, text[:500]
    assert asked == []
