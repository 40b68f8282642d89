"""Data worth looking at on the dashboard, loaded through the real pipeline: two weeks of quarter-hourly CSV history,
a few hourly runs of each API source against the fakes (one of them failed) and some rejected CSV rows."""
from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from service.settings import Settings
from tests.etl.conftest import run_all

CSV_HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
CSV_COINS = (("BTC", "Bitcoin", Decimal("91234.56")), ("ETH", "Ethereum", Decimal("3012.87")))
API_RUNS = 6
BAD_ROWS = ("BTC,Bitcoin,abc,,,,,2026-11-20T00:00:00Z\n", "ETH,Ethereum,-5,,,,,2026-11-20T00:00:00Z\n",
            "XRP,XRP,2.1,,,,,yesterday\n", "DOGE,Dogecoin,0.15,,,,,2026-13-01T00:00:00Z\n",
            ",NoSymbol,1,,,,,2026-11-20T00:00:00Z\n")


def _walk(rng: random.Random, end: Decimal, steps: int) -> list[Decimal]:
    """A random walk of `steps` prices that ends near `end` (walked backwards from it)."""
    prices, price = [], end
    for _ in range(steps):
        price = (price * (1 + Decimal(rng.gauss(0, 0.002)))).quantize(Decimal("0.00000001"))
        prices.append(price)
    return prices[::-1]


def write_csv(directory: Path, anchor: datetime, days: int = 14) -> None:
    """Every quarter hour for `days` up to `anchor`, so an hour's candle holds four observations."""
    rng = random.Random(7)
    lines, steps = [], days * 96
    for symbol, name, typical in CSV_COINS:
        for i, price in enumerate(_walk(rng, typical, steps)):
            moment = anchor - timedelta(minutes=15 * (steps - i))
            lines.append(f"{symbol},{name},{price},,,,,{moment.isoformat().replace('+00:00', 'Z')}\n")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "history.csv").write_text(CSV_HEADER + "".join(lines))
    (directory / "refused.csv").write_text(CSV_HEADER + "".join(BAD_ROWS))


def _move_api_quotes(paprika, gecko, moment: datetime, rng: random.Random) -> None:
    """Each API coin observed at `moment`; BTC and ETH near the CSV's prices so the chart compares them."""
    stamp = moment.isoformat().replace("+00:00", "Z")
    typical = {symbol: start for symbol, _, start in CSV_COINS}
    for ticker in paprika.tickers:
        ticker["last_updated"] = stamp
        if ticker["symbol"] in typical:
            ticker["quotes"]["USD"]["price"] = (typical[ticker["symbol"]] * Decimal(1 + rng.gauss(0, 0.01))
                                                ).quantize(Decimal("0.00001"))
    for coin in gecko.coins:
        coin["last_updated"] = stamp
        if coin["symbol"].upper() in typical:
            coin["current_price"] = (typical[coin["symbol"].upper()] * Decimal(1 + rng.gauss(0, 0.01))
                                     ).quantize(Decimal("0.01"))


async def load_demo(pool, settings: Settings, workdir: Path, paprika, gecko) -> Settings:
    """Loads the demo through the pipeline; returns the settings pointing at the fakes and the CSV folder."""
    anchor = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    write_csv(workdir / "csv", anchor)
    demo = dataclasses.replace(settings, coinpaprika_base_url=paprika.url, coingecko_base_url=gecko.url,
                               csv_path=workdir / "csv", coingecko_per_page=50)
    rng = random.Random(11)
    for k in range(API_RUNS, 0, -1):
        _move_api_quotes(paprika, gecko, anchor - timedelta(hours=k - 1), rng)
        await run_all(pool, demo, None if k == API_RUNS else ("coinpaprika", "coingecko"))
        if k == 3:  # an upstream that does not answer: a failed run between good ones
            down = dataclasses.replace(demo, coinpaprika_base_url="http://127.0.0.1:9/v1", http_max_retries=0)
            await run_all(pool, down, ("coinpaprika",))
    await _spread_runs_hourly(pool, anchor)
    return demo


async def _spread_runs_hourly(pool, anchor: datetime) -> None:
    """The runs above took seconds; place each source's runs an hour apart, ending now, as a scheduled service
    would have made them (the chart of runs over time shows one point per run)."""
    await pool.execute("""
        UPDATE etl_runs AS r SET started_at = r.started_at - s.shift, finished_at = r.finished_at - s.shift
        FROM (SELECT id, make_interval(hours => (rank() OVER (PARTITION BY source ORDER BY id DESC))::int - 1)
                         AS shift
              FROM etl_runs) AS s
        WHERE s.id = r.id""")


async def add_observation(pool, demo: Settings) -> None:
    """One more BTC observation (now) from the CSV folder, loaded by a CSV run: new data for the page to notice."""
    stamp = (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    (demo.csv_path / "late.csv").write_text(CSV_HEADER + f"BTC,Bitcoin,91000.123456789,,,,,{stamp}\n")
    outcome = (await run_all(pool, demo, ("csv",)))["csv"]
    assert outcome.status == "success", outcome.error
