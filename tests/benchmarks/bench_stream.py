"""Issue 23: commit-to-event latency of GET /stream with 1,000 open streams, and /health's latency meanwhile.

    .venv/bin/python tests/benchmarks/bench_stream.py [--streams 1000] [--changes 100] [--readers 2]

Starts `python -m service` on a fresh database (a 100-coin CSV loaded at start-up), opens `--streams` streams from
`--readers` reader processes (so reading the events costs the readers' CPU, not the writer's clock; at nice 10 and
SCHED_BATCH by default: they stand in for clients on other machines, and on a 2-core box would otherwise take the
CPU the service and PostgreSQL need), then commits `--changes` changes to the latest state one at a time: each is
a transaction that moves one coin's latest state forward (the UPDATE the ETL's upsert does, firing the change-feed
trigger) and sends `quotes_changed`, as an ETL batch does; its commit time is taken when COMMIT returns. Every
stream must receive every change: the latency of each (change, stream) pair is the time it was read minus the
commit time (one machine, one clock). /health is asked every 50 ms throughout, and before the streams open (the
reference).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import common
from common import Row

COINS = 100
MAX_P99_SECONDS = 1.0
MAX_HEALTH_P99_MS = 50.0
UPDATE = ("UPDATE quotes_latest SET observed_at = observed_at + interval '1 second', price_usd = $2 "
          "WHERE source = 'csv' AND coin_id = $1")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# --- a reader process: `count` streams; prints "ready" once all are open, then the ids it read, with times -----

async def read_streams(url: str, count: int, expected: int, timeout: float) -> None:
    import aiohttp

    received: list[tuple[int, float]] = []
    opened = 0
    all_open = asyncio.Event()
    done = asyncio.Event()
    finished = 0

    async def one(session) -> None:
        nonlocal opened, finished
        got = 0
        async with session.get(url) as response:
            if response.status != 200:
                raise RuntimeError(f"/stream answered {response.status}")
            rest = b""
            async for chunk in response.content.iter_any():
                now = time.time()
                blocks = (rest + chunk).split(b"\n\n")
                rest = blocks.pop()
                for block in blocks:
                    if b"event: quote" in block:
                        received.append((int(block[4:block.index(b"\n")]), now))
                        got += 1
                    elif block.startswith(b"retry:"):
                        opened += 1
                        if opened == count:
                            all_open.set()
                if got >= expected:
                    break
        finished += 1
        if finished == count:
            done.set()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        tasks = [asyncio.create_task(one(session)) for _ in range(count)]
        await asyncio.wait_for(all_open.wait(), 120)
        print("ready", flush=True)
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps(received), flush=True)


# --- the main process ---------------------------------------------------------------------------------------

def seed_csv(path: Path) -> None:
    lines = ["symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated"]
    lines += [f"B{i},Bench coin {i},1.{i:04d},{1000 + i},10,0.5,{i + 1},2026-01-01T00:00:00Z" for i in range(COINS)]
    path.write_text("\n".join(lines) + "\n")


async def probe_health(url: str, stop: asyncio.Event) -> list[float]:
    import aiohttp

    latencies = []
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"/health answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)
    return latencies


async def commit_changes(dsn: str, changes: int, pause: float) -> dict[int, float]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    committed: dict[int, float] = {}
    try:
        coins = [r["coin_id"] for r in await connection.fetch(
            "SELECT coin_id FROM quotes_latest WHERE source = 'csv' ORDER BY coin_id")]
        for i in range(changes):
            async with connection.transaction():
                await connection.execute(UPDATE, coins[i % len(coins)], f"2.{i:06d}")
                seq = await connection.fetchval("SELECT max(seq) FROM quote_changes")
                await connection.execute("SELECT pg_notify('quotes_changed', 'csv')")
            committed[seq] = time.time()
            await asyncio.sleep(pause)
    finally:
        await connection.close()
    return committed


def as_remote_client(niceness: int) -> None:
    """A reader process stands in for clients on other machines: it must not take the CPU from the service. At
    `niceness` 0 it competes as any process; above, it is niced and SCHED_BATCH (the scheduler then never lets it
    preempt the service when a write to its socket wakes it: each of the service's thousand writes would)."""
    if niceness > 0:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        os.nice(niceness)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(base: str, dsn: str, pid: int, args) -> tuple[list[Row], bool]:
    stop = asyncio.Event()
    baseline_stop = asyncio.Event()
    baseline = asyncio.create_task(probe_health(f"{base}/health", baseline_stop))
    await asyncio.sleep(5)
    baseline_stop.set()
    health_before = await baseline

    per_reader = [args.streams // args.readers + (1 if i < args.streams % args.readers else 0)
                  for i in range(args.readers)]
    readers = [await asyncio.create_subprocess_exec(
        common.PYTHON, __file__, "--_read", f"{base}/stream", "--_count", str(n), "--changes", str(args.changes),
        stdout=asyncio.subprocess.PIPE, preexec_fn=lambda: as_remote_client(args.reader_nice)) for n in per_reader]
    opened = time.perf_counter()
    for reader in readers:
        line = await asyncio.wait_for(reader.stdout.readline(), 180)
        if line.strip() != b"ready":
            raise RuntimeError(f"a reader did not open its streams: {line!r}")
    print(f"  {args.streams} streams open in {time.perf_counter() - opened:.1f} s", file=sys.stderr)
    idle_stop = asyncio.Event()
    idle = asyncio.create_task(probe_health(f"{base}/health", idle_stop))
    await asyncio.sleep(5)
    idle_stop.set()
    health_idle = await idle
    health = asyncio.create_task(probe_health(f"{base}/health", stop))
    cpu_before = cpu_seconds(pid)
    committed = await commit_changes(dsn, args.changes, args.pause)
    outputs = [json.loads((await reader.stdout.read()).decode() or "[]") for reader in readers]
    for reader in readers:
        await reader.wait()
    service_cpu = cpu_seconds(pid) - cpu_before
    stop.set()
    health_during = await health
    latencies = [received_at - committed[seq] for output in outputs for seq, received_at in output
                 if seq in committed]
    deliveries = len(latencies)
    wanted = args.streams * args.changes
    worst_per_change: dict[int, float] = {}
    for output in outputs:
        for seq, received_at in output:
            if seq in committed:
                worst_per_change[seq] = max(worst_per_change.get(seq, 0.0), received_at - committed[seq])
    lat_p99 = p99(latencies) if latencies else float("inf")
    health_p99 = p99(health_during)
    rows = [
        Row("changes delivered (change x stream)", f"{deliveries:,}", f"{wanted:,}", "", "all",
            deliveries == wanted),
        Row("commit -> event p50 (s)", f"{statistics.median(latencies):.3f}" if latencies else "-"),
        Row("commit -> event p99 (s)", f"{lat_p99:.3f}", "", "", f"<= {MAX_P99_SECONDS:g} s",
            lat_p99 <= MAX_P99_SECONDS),
        Row("commit -> last stream, p99 over changes (s)",
            f"{p99(list(worst_per_change.values())):.3f}" if worst_per_change else "-"),
        Row("commit -> event max (s)", f"{max(latencies):.3f}" if latencies else "-"),
        Row("/health p99 during (ms)", f"{health_p99:.1f}", f"{p99(health_before):.1f} (no streams)",
            f"{health_p99 / p99(health_before):.1f}x", f"< {MAX_HEALTH_P99_MS:g} ms",
            health_p99 < MAX_HEALTH_P99_MS),
        Row("/health p99, streams open, no changes (ms)", f"{p99(health_idle):.1f}"),
        Row("/health requests during", str(len(health_during))),
        Row("service CPU per change, all streams (ms)", f"{service_cpu * 1000 / args.changes:.1f}"),
    ]
    return rows, all(r.ok is not False for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--readers", type=int, default=2, help="reader processes sharing the streams")
    parser.add_argument("--reader-nice", type=int, default=10,
                        help="niceness of the reader processes, stand-ins for clients on other machines (default 10, "
                             "with SCHED_BATCH; 0: they compete as any process)")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between two changes (default 0.1)")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    parser.add_argument("--_read", help=argparse.SUPPRESS)
    parser.add_argument("--_count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._read:
        asyncio.run(read_streams(args._read, args._count, args.changes, timeout=args.changes * 2 + 60))
        return 0

    print(f"machine: {common.machine()}", file=sys.stderr)
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_stream") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-stream-") as work:
        workdir = Path(work)
        seed_csv(workdir / "seed.csv")
        port = common.free_port()
        log = open(os.environ.get("BENCH_SERVICE_LOG") or workdir / "service.log", "wb")
        service = subprocess.Popen(
            [common.PYTHON, "-m", "service"], cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(port), API_RATE_LIMIT="0", ETL_SOURCES="csv",
                                   CSV_PATH=str(workdir / "seed.csv"), ETL_ON_STARTUP="true",
                                   STREAM_MAX_CLIENTS=str(args.streams + 10)))
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while common.fetchval(dsn, "SELECT count(*) FROM pg_tables WHERE tablename = 'quotes_latest'") == 0 \
                    or common.fetchval(dsn, "SELECT count(*) FROM quotes_latest") < COINS:
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the service did not load its seed:\n{(workdir / 'service.log').read_text()}")
                time.sleep(0.3)
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the service did not answer /health")
                time.sleep(0.3)
            rows, ok = asyncio.run(measure(base, dsn, service.pid, args))
        finally:
            common.stop(service)
            log.close()
    print(f"machine: {common.machine()}")
    common.print_table(f"GET /stream: {args.streams} streams, {args.changes} changes "
                       f"(readers at nice {args.reader_nice}{', SCHED_BATCH' if args.reader_nice > 0 else ''})", rows)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
