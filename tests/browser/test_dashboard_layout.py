"""The dashboard at a phone's width (390 px) and a laptop's (1366 px): nothing wider than the screen, nothing cut off
at its edges, the next run and the market table shown, the table sortable, each failed run linked to its error."""
from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import aiohttp
import pytest

from service.app import create_app
from service.web.keys import SCHEDULER
from tests.browser.chromium import chromium, find_chromium, save_whole_page, wait_until_drawn
from tests.browser.demo_data import load_demo
from tests.etl.conftest import gecko, paprika, run_all  # noqa: F401  (fixtures: the fake upstreams)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every rendered element whose box leaves the viewport sideways, and every box that hides content sideways
# (its content is wider than the box and cut, or scrolled, out of sight). Canvas internals of the chart library
# are drawn, not laid out as text, so the chart's own boxes count only as a whole.
_LAYOUT_PROBLEMS = """
const width = document.documentElement.clientWidth;
const problems = [];
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
    ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('.chart') && !e.classList.contains('chart')) continue;
  const style = getComputedStyle(e);
  if (style.display === 'none' || style.visibility === 'hidden') continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.left < -0.5 || r.right > width + 0.5) problems.push('outside the viewport: ' + describe(e) +
      ' [' + Math.round(r.left) + ', ' + Math.round(r.right) + '] of ' + width);
  if (style.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1) problems.push(
      'content cut sideways: ' + describe(e) + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
}
return {width: width, scrollWidth: document.documentElement.scrollWidth, problems: problems};
"""


def look_at(base_url: str, paths: tuple[str, str], width: int, shot: Path) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(paths, width, 900) as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
        driver.get(f"{base_url}/dashboard?symbol=BTC&interval=1h&mode=line")
        wait_until_drawn(driver, "line")
        WebDriverWait(driver, 30).until(
            lambda _: driver.find_element(By.ID, "next-run").text and driver.find_element(By.ID, "live").text)
        driver.execute_script("return new Promise((done) => setTimeout(done, 500))")  # charts follow their boxes
        seen = driver.execute_script(_LAYOUT_PROBLEMS)
        seen["next_run"] = driver.find_element(By.ID, "next-run").text
        seen["card_next_runs"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#sources .next-run")]
        seen["backfills"] = {card.get_attribute("data-source"): card.find_element(By.CSS_SELECTOR, ".backfill").text
                             for card in driver.find_elements(By.CSS_SELECTOR, "#sources .card")}
        seen["market_visible"] = driver.find_element(By.ID, "market").is_displayed()
        seen["market_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "#market tbody tr"))
        seen["live"] = driver.find_element(By.ID, "live").get_attribute("data-state")
        price_column = "#market tbody tr td:nth-child(4)"
        driver.find_element(By.CSS_SELECTOR, "#market th[data-key=price_usd] button").click()
        seen["sorted_by_price"] = [e.get_attribute("textContent") for e in
                                   driver.find_elements(By.CSS_SELECTOR, price_column)]
        seen["price_sort"] = driver.find_element(By.CSS_SELECTOR, "#market th[data-key=price_usd]").get_attribute(
            "aria-sort")
        failed = driver.find_elements(By.CSS_SELECTOR, "#sources a[href^='#run-']")
        seen["failed_links"] = [a.get_attribute("href").rsplit("#", 1)[1] for a in failed]
        seen["failure_items"] = {li.get_attribute("id"): li.text
                                 for li in driver.find_elements(By.CSS_SELECTOR, "#failed-runs li[id]")}
        for chart in ("price-chart", "runs-chart"):  # close-ups, to look at the axes
            driver.find_element(By.ID, chart).screenshot(str(shot.with_suffix(f".{chart}.png")))
        save_whole_page(driver, shot, width=width)
        return seen


async def test_the_dashboard_fits_a_phone_and_a_laptop_and_shows_the_next_run_and_the_market(
        aiohttp_server, settings, pool, tmp_path, paprika, gecko):  # noqa: F811
    paths = find_chromium()
    if paths is None:
        pytest.skip("headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    demo = await load_demo(pool, settings, tmp_path, paprika, gecko)
    # coinpaprika's newest run fails: its card must lead to the error
    down = dataclasses.replace(demo, coinpaprika_base_url="http://127.0.0.1:9/v1", http_max_retries=0)
    assert (await run_all(pool, down, ("coinpaprika",)))["coinpaprika"].status == "failed"
    # a backfill of coingecko finished five minutes ago: its card says so
    await pool.execute("INSERT INTO etl_runs (source, status, trigger, started_at, finished_at) VALUES "
                       "('coingecko', 'success', 'backfill', now() - interval '10 min', now() - interval '5 min')")
    # a scheduler that starts no run by itself (the next is an interval away), so /health has a next run
    app = create_app(dataclasses.replace(demo, etl_on_startup=False))
    server = await aiohttp_server(app)
    base_url = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/data?limit=500") as response:
            records = (await response.json())["data"]
        async with session.get(f"{base_url}/runs?status=failed") as response:
            failed_runs = (await response.json())["data"]
    assert app[SCHEDULER].next_run_at is not None and records and failed_runs
    for width in (390, 1366):
        shot = tmp_path / f"dashboard-{width}.png"
        seen = await asyncio.wait_for(asyncio.to_thread(look_at, base_url, paths, width, shot), timeout=180)
        print(f"dashboard at {width} px: {shot}")
        assert seen["width"] == width and seen["scrollWidth"] <= width, seen
        assert seen["problems"] == [], seen["problems"]
        assert seen["next_run"].startswith("next ETL run in "), seen["next_run"]
        assert len(seen["card_next_runs"]) == 3 and all(t.startswith("in ") for t in seen["card_next_runs"])
        assert seen["market_visible"] and seen["market_rows"] == len(records)
        assert seen["backfills"]["coingecko"] == "success, finished 5 min ago", seen["backfills"]
        assert seen["backfills"]["csv"] == "none in the recent runs"
        prices = [float(text.replace(",", "")) for text in seen["sorted_by_price"]]
        assert seen["price_sort"] == "descending" and prices == sorted(prices, reverse=True) and len(set(prices)) > 3
        # /stream is not served here: the page says it polls instead
        assert seen["live"] in ("polling", "live")
        # the failed coinpaprika run: its card links to the list entry that shows its error
        assert seen["failed_links"], seen
        for anchor in seen["failed_links"]:
            run_id = int(anchor.removeprefix("run-"))
            (run,) = [r for r in failed_runs if r["id"] == run_id]
            assert run["error"] and run["error"][:30] in seen["failure_items"][anchor]
