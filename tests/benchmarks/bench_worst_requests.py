"""Issue 15 part 2: the worst request each route allows against the typical one, p99 beside p99, uncached.

    .venv/bin/python tests/benchmarks/bench_worst_requests.py [--coins 600] [--hours 3400] [--requests 60]

Loads `coins` coins that all share the symbol DUP, hourly for `hours` hours (600 x 3400 = 2.04M history rows),
plus one ordinary coin BTC, through the service's own CSV ETL; starts `python -m service` on it; then sends each
request `requests` times, one at a time, every one with a different `from` before the data so the response cache
cannot answer (the worst /history spelled another way is shown too: a cache hit, the cache keys on the validated
query; an unknown parameter such as `&cb=N` is a 400). /history's worst case is also timed
straight against PostgreSQL with the query main used before (the page per coin) for the before/after figure.
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import common

HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def write_csv(path: Path, coins: int, hours: int) -> None:
    with open(path, "w") as out:
        out.write(HEADER)
        for hour in range(hours):
            stamp = (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f"BTC,Bitcoin,{40000 + hour}.5,1,1,0.1,1,{stamp}\n")
            out.writelines(f"DUP,Dup coin {c},{1 + c % 97}.{hour % 100:02d},{c},{hour},0.5,{c + 2},{stamp}\n"
                           for c in range(coins))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def time_requests(base_url: str, target: str, count: int, *, bust: bool = True) -> list[float]:
    import aiohttp

    timings = []
    async with aiohttp.ClientSession() as session:
        for i in range(count):
            url = f"{base_url}{target}"
            if "cursor=" in target:  # the cursor carries `from`; another page size is another answer
                url = url.replace("limit=1000", f"limit={1000 - i}")
            elif bust and target.startswith("/history"):  # a distinct known parameter: a real miss, same rows
                url += f"&from={(START - timedelta(seconds=i + 1)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
            elif bust and target.startswith("/data"):
                url += f"&max_price={10**15 + i}"
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, (url, response.status)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def cursor_in_the_middle(base_url: str, target: str, pages: int) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        url, found = f"{base_url}{target}", target
        for _ in range(pages):
            async with session.get(url) as response:
                cursor = (await response.json())["next_cursor"]
            if cursor is None:
                break
            found = f"{target}&cursor={cursor}"
            url = f"{base_url}{found}"
    return found


async def time_sql(dsn: str, statement: str, count: int, *params) -> list[float]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            await connection.fetch(statement, *params)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await connection.close()


def old_history_sql() -> str | None:
    """The /history query before this change (the page per coin), from git; None outside a checkout."""
    result = subprocess.run(["git", "log", "--format=%H", "-n", "1", "--grep", "/history work bounded", "--",
                             "sql/select_history_page_json.sql"], cwd=common.ROOT, text=True, capture_output=True)
    commit = result.stdout.strip()
    if not commit:
        return None
    old = subprocess.run(["git", "show", f"{commit}~1:sql/select_history_page_json.sql"], cwd=common.ROOT,
                         text=True, capture_output=True)
    return old.stdout if old.returncode == 0 else None


async def measure(base_url: str, dsn: str, requests: int, coins: int) -> list[tuple[str, str, list[float]]]:
    middle = await cursor_in_the_middle(base_url, "/history?symbol=DUP&limit=1000", 20)
    cases = [
        ("/history", "typical: symbol=BTC&limit=100 (one coin)", "/history?symbol=BTC&limit=100"),
        ("/history", f"worst: symbol=DUP&limit=1000 ({coins} coins)", "/history?symbol=DUP&limit=1000"),
        ("/history", "worst, 20 pages in (cursor)", middle),
        ("/data", "typical: limit=50", "/data?limit=50"),
        ("/data", "worst: limit=500&sort=-volume_24h_usd&page=2", "/data?limit=500&sort=-volume_24h_usd&page=2"),
        ("/stats", "every call (not cached)", "/stats"),
        ("/runs", "worst: limit=200", "/runs?limit=200"),
    ]
    results = []
    for route, label, target in cases:
        timings = await time_requests(base_url, target, requests)
        results.append((route, label, timings))
    await _one(base_url, "/history?symbol=DUP&limit=1000")  # primes the cache
    spellings = ("/history?symbol=dup&limit=1000", "/history?limit=1000&symbol=DUP", "/history?symbol=Dup&limit=1000")
    hits = [await _one(base_url, spellings[i % len(spellings)]) for i in range(requests)]
    results.append(("/history", "worst, spelled another way (a cache hit)", hits))
    old = old_history_sql()
    if old:
        from service.sql import SQL

        far = datetime.max.replace(tzinfo=timezone.utc)
        early = datetime.min.replace(tzinfo=timezone.utc)
        args = ("DUP", None, early, far, early, "", "", 1001)
        results.append(("SQL", "worst /history query, before (page per coin)",
                        await time_sql(dsn, old, max(5, requests // 6), *args)))
        results.append(("SQL", "worst /history query, now", await time_sql(dsn, SQL.select_history_page_json,
                                                                           max(5, requests // 6), *args)))
    return results


async def _one(base_url: str, target: str) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(f"{base_url}{target}") as response:
            await response.read()
        return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coins", type=int, default=600)
    parser.add_argument("--hours", type=int, default=3400)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    print(common.machine(), file=sys.stderr)
    csv_path = common.DATA_CACHE / f"worst_{options.coins}c_{options.hours}h.csv"
    common.DATA_CACHE.mkdir(parents=True, exist_ok=True)
    if not csv_path.exists():
        write_csv(csv_path, options.coins, options.hours)
    with common.embedded_postgres(options.database_url) as admin, common.fresh_database(admin, "worst") as dsn:
        started = time.perf_counter()
        common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"],
                            env=common.service_env(dsn, CSV_PATH=str(csv_path))).check("the CSV load")
        rows = common.fetchval(dsn, "SELECT count(*) FROM quotes_history")
        print(f"  loaded {rows:,} history rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        common.admin_execute(dsn, "VACUUM ANALYZE")
        port = common.free_port()
        env = common.service_env(dsn, PORT=str(port), HOST="127.0.0.1", ETL_ON_STARTUP="false",
                                 API_RATE_LIMIT="0", CSV_PATH=str(csv_path))
        service = subprocess.Popen([common.PYTHON, "-m", "service"], env=env, cwd=common.ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url)
            results = asyncio.run(measure(base_url, dsn, options.requests, options.coins))
        finally:
            service.terminate()
            service.wait(30)
    print(f"\n{rows:,} history rows, {options.coins} coins sharing DUP; {options.requests} requests each, one at "
          "a time, each a cache miss unless said\n")
    print("| route | request | median ms | p99 ms |\n| --- | --- | ---: | ---: |")
    for route, label, timings in results:
        print(f"| {route} | {label} | {percentile(timings, 0.5):.1f} | {percentile(timings, 0.99):.1f} |")
    return 0


def _wait_until_up(base_url: str) -> None:
    import urllib.request

    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the service did not start")


if __name__ == "__main__":
    sys.exit(main())
