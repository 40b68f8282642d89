"""Headless Chromium through chromedriver, for the dashboard's test and its screenshots script."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--hide-scrollbars")


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when they are not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@contextlib.contextmanager
def chromium(paths: tuple[str, str], width: int, height: int = 900, *, logs: bool = False) -> Iterator:
    """A fresh browser profile; with `logs`, the console and the network log are kept for get_log()."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="cmd-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = paths[0]
        for flag in (*CHROME_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        if logs:
            options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def wait_until_drawn(driver, mode: str, timeout: float = 60) -> None:
    """Until the dashboard has loaded and its price chart is drawn in `mode` (line or candles)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def drawn(_) -> bool:
        chart = driver.find_element(By.ID, "price-chart")
        return (driver.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true"
                and chart.get_attribute("data-state") == "drawn" and chart.get_attribute("data-mode") == mode)

    WebDriverWait(driver, timeout).until(drawn)


def save_whole_page(driver, path: Path, width: int) -> None:
    """A screenshot of the whole page at this width: the viewport is set to the page's full height (CDP)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    # let the charts take the new size (they follow their boxes with a ResizeObserver) before the shot
    driver.execute_script("return new Promise((done) => setTimeout(done, 1000))")
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
