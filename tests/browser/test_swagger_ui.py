"""Swagger UI in headless Chromium: /docs lists GET /data, and "Try it out" -> "Execute" shows a 200 with records."""
from __future__ import annotations

import asyncio
import shutil
import tempfile

import pytest

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


def try_data_in_swagger_ui(base_url: str, chromium: str, driver_path: str) -> tuple[str, str]:
    """Drives the page like a person would; returns the response status and body Swagger UI shows."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory(prefix="cmd-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
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
            return status.text.strip(), body.text
        finally:
            driver.quit()


async def test_docs_runs_get_data_with_try_it_out(aiohttp_server, settings, pool, tmp_path):
    chromium, driver = browser_paths()
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3))
    server = await aiohttp_server(create_app(settings))
    base_url = f"http://127.0.0.1:{server.port}"
    status, body = await asyncio.wait_for(
        asyncio.to_thread(try_data_in_swagger_ui, base_url, chromium, driver), timeout=120)
    assert status == "200", body[:2000]
    assert '"coin_id"' in body and '"C0"' in body, body[:2000]
