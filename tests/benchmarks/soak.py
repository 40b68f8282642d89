"""Soak: the service for N minutes, ETL on a short interval against fake upstreams, under /data and /history load.

    python tests/benchmarks/soak.py --minutes 5        # prints errors (must be 0), RSS start/end, open connections

Not collected by pytest. Everything it starts (PostgreSQL on 127.0.0.1, fakes, the service) is stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fakes.upstream import (FakeCoinGecko, FakeCoinPaprika, make_gecko_coins,  # noqa: E402
                                  make_paprika_tickers, start)
from tests.faults.support import (ServiceProcess, free_port, fresh_database, service_env, tcp_postgres,  # noqa: E402
                                  wait_for)

SYMBOLS = ["BTC", "ETH", "SOL", "DOGE", "XRP", "USDT", "PEPE"]


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2 ** 20


def connections(pid: int) -> Counter:
    return Counter(c.status for c in psutil.Process(pid).net_connections(kind="tcp"))


async def load(base_url: str, until: float, rate: float, stats: Counter) -> None:
    """One client: /data (cursor walks and filters) and /history at about `rate` requests a second."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while time.monotonic() < until:
            path = random.choice([
                "/data?limit=100", "/data?limit=50&sort=price_usd", "/data?source=coingecko&limit=20",
                f"/history?symbol={random.choice(SYMBOLS)}&limit=200", f"/data?symbol={random.choice(SYMBOLS)}",
            ])
            try:
                async with session.get(base_url + path) as response:
                    body = await response.json()
                    stats[response.status] += 1
                    cursor = body.get("next_cursor") if response.status == 200 else None
                if cursor and path.startswith("/data?limit=100"):
                    async with session.get(base_url + "/data", params={"limit": 100, "cursor": cursor}) as more:
                        await more.read()
                        stats[more.status] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                stats[f"error {type(exc).__name__}"] += 1
            await asyncio.sleep(random.expovariate(rate))


async def soak(minutes: float, interval: int, clients: int, rate: float) -> int:
    paprika, gecko = FakeCoinPaprika(make_paprika_tickers(2000)), FakeCoinGecko(make_gecko_coins(1000))
    paprika_runner, paprika_url = await start(paprika.make_app())
    gecko_runner, gecko_url = await start(gecko.make_app())
    logs = Path(tempfile.mkdtemp(prefix="cmd-soak-"))
    service = None
    try:
        with tcp_postgres() as pg:
            dsn = await fresh_database(pg.url())
            env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_SOURCES="csv,coinpaprika,coingecko",
                              ETL_INTERVAL_SECONDS=interval, COINPAPRIKA_BASE_URL=paprika_url,
                              COINGECKO_BASE_URL=gecko_url, COINGECKO_REQUESTS_PER_MINUTE=6000, API_RATE_LIMIT=0,
                              COINGECKO_PER_PAGE=250, LOG_LEVEL="WARNING")
            service = ServiceProcess(env, log_dir=logs)
            await service.start()
            await service.wait_ready()
            await wait_for(lambda: _status(service.base_url, "/data?source=coingecko", 200), 60, 0.5, "data")
            pid = service.process.pid
            rss_start, started = rss_mb(pid), time.monotonic()
            print(f"started: pid {pid}, RSS {rss_start:.1f} MB, connections {dict(connections(pid))}", flush=True)
            stats: Counter = Counter()
            until = started + minutes * 60
            clients_done = asyncio.gather(*(load(service.base_url, until, rate, stats) for _ in range(clients)))
            while not clients_done.done():
                await asyncio.wait({clients_done}, timeout=30)
                print(f"{time.monotonic() - started:6.0f} s  RSS {rss_mb(pid):.1f} MB  {dict(stats)}", flush=True)
            rss_end = rss_mb(pid)
            open_now = connections(pid)
            errors = sum(n for k, n in stats.items() if not isinstance(k, int) or k >= 500)
            print(f"requests: {sum(stats.values())}  by status: {dict(stats)}")
            print(f"errors: {errors}")
            print(f"RSS start: {rss_start:.1f} MB  end: {rss_end:.1f} MB  growth: {rss_end - rss_start:+.1f} MB")
            print(f"open TCP connections of the service at the end: {dict(open_now)}")
            print(f"service alive: {service.alive}; log: {service.log_path}")
            return 0 if errors == 0 and service.alive else 1
    finally:
        if service is not None:
            await service.close()
        await paprika_runner.cleanup()
        await gecko_runner.cleanup()


async def _status(base_url: str, path: str, status: int) -> bool:
    async with aiohttp.ClientSession() as session, session.get(base_url + path) as response:
        body = await response.json()
        return response.status == status and bool(body.get("data"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--interval", type=int, default=10, help="ETL_INTERVAL_SECONDS of the service")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=20.0, help="requests a second per client")
    args = parser.parse_args(argv)
    return asyncio.run(soak(args.minutes, args.interval, args.clients, args.rate))


if __name__ == "__main__":
    sys.exit(main())
