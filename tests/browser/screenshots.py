"""Regenerates the dashboard screenshots in data/screenshots/ (laptop and phone widths) from the demo data.

Run from the repository root: `python -m tests.browser.screenshots` (needs chromium and chromium-driver). It starts
the fake upstreams, the whole service on an embedded PostgreSQL in a temporary folder, loads tests/browser/
demo_data.py through the pipeline, and photographs /dashboard.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from service.app import create_app
from service.settings import PROJECT_ROOT, Settings
from service.web.keys import POOL
from tests.browser.chromium import chromium, find_chromium, save_whole_page, wait_until_drawn
from tests.browser.demo_data import load_demo
from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika, start

OUT_DIR = PROJECT_ROOT / "data" / "screenshots"
# (file, window width, height, page): a laptop showing candles, a phone showing the line chart
SHOTS = (("dashboard-laptop.png", 1366, 900, "/dashboard?symbol=BTC&interval=4h&mode=candles", "candles"),
         ("dashboard-phone.png", 390, 844, "/dashboard?symbol=BTC&interval=1h&mode=line", "line"))


def photograph(base_url: str, paths: tuple[str, str]) -> list[Path]:
    written = []
    for name, width, height, page, mode in SHOTS:
        with chromium(paths, width, height) as driver:
            driver.get(base_url + page)
            wait_until_drawn(driver, mode)
            save_whole_page(driver, OUT_DIR / name, width)
        written.append(OUT_DIR / name)
    return written


async def main() -> int:
    paths = find_chromium()
    if paths is None:
        print("chromium and chromedriver are needed: apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    paprika, gecko = FakeCoinPaprika(), FakeCoinGecko()
    paprika_runner, paprika.url = await start(paprika.make_app())
    gecko_runner, gecko.url = await start(gecko.make_app())
    with tempfile.TemporaryDirectory(prefix="cmd-screenshots-") as work:
        settings = Settings(embedded_pg_dir=Path(work) / "pg", etl_on_startup=False, api_rate_limit=0,
                            log_level="WARNING", csv_path=Path(work) / "csv")
        runner = web.AppRunner(create_app(settings), access_log=None)
        await runner.setup()  # the embedded PostgreSQL, migrations and the pool
        try:
            await load_demo(runner.app[POOL], settings, Path(work), paprika, gecko)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            for path in await asyncio.to_thread(photograph, f"http://{host}:{port}", paths):
                print(path.relative_to(PROJECT_ROOT))
        finally:
            await runner.cleanup()
            await paprika_runner.cleanup()
            await gecko_runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
