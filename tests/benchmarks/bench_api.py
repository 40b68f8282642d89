"""Target 4 of issue 5: requests/s of GET /data and GET /history vs an aiohttp app answering the same bytes.

    .venv/bin/python tests/benchmarks/bench_api.py [--connections 32] [--duration 10] [--repeat 3]

Loads a generated CSV into a fresh database, starts `python -m service` on it, records each route's body, starts
a static aiohttp app (its own process) answering those bytes from memory, and drives both with the same load
generator: `wrk` when installed, else a Python aiohttp load generator in its own process.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import common
from common import Row

SYMBOLS = 200
HOURS = 400  # observations per symbol: more than /history's limit=200
ROUTES = ("/data?limit=50", "/history?symbol={symbol}&limit=200")
MIN_SHARE = 0.40
MAX_P99_MS = 25.0


# --- the static reference app and the Python load generator (each run as its own process) -----------------------

def serve_static(spec_path: Path, port: int) -> None:
    from aiohttp import web

    spec = json.loads(spec_path.read_text())
    bodies = {path_qs: Path(body).read_bytes() for path_qs, body in spec.items()}

    async def answer(request: web.Request) -> web.Response:
        body = bodies.get(request.path_qs)
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _load(url: str, connections: int, duration: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    non_2xx = errors = 0
    deadline = time.perf_counter() + duration

    async def worker(session) -> None:
        nonlocal non_2xx, errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with session.get(url) as response:
                    await response.read()
                    if not 200 <= response.status < 400:
                        non_2xx += 1
            except aiohttp.ClientError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=connections)
    began = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p99_ms": p99 * 1000,
            "non_2xx": non_2xx, "errors": errors}


# --- load generators, as seen from the benchmark ------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def run_wrk(url: str, connections: int, duration: float, threads: int) -> dict:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": requests, "rps": rps, "p99_ms": p99, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "errors": sum(map(int, errors.groups())) if errors else 0}


def run_python_load(url: str, connections: int, duration: float, threads: int) -> dict:
    out = subprocess.run([common.PYTHON, __file__, "--_load", url, "--connections", str(connections),
                          "--duration", str(duration)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


# --- the benchmark ------------------------------------------------------------------------------------------------

def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited {process.returncode} before answering")
        try:
            status, _ = http_get(url)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_database(dsn: str, workdir: Path) -> Path:
    path = common.csv_file(SYMBOLS * HOURS, symbols=SYMBOLS)
    run = common.run_measured([common.PYTHON, "-m", "service", "etl", "--source", "csv"],
                              env=common.service_env(dsn, CSV_PATH=str(path)))
    run.check("loading the benchmark data")
    print(f"  loaded {SYMBOLS * HOURS:,} rows in {run.wall:.1f} s", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--symbol", default="BTC", help="symbol for /history (default BTC)")
    parser.add_argument("--route", action="append", dest="routes", metavar="PATH_QS",
                        help="a route to measure instead of the default two ({symbol} is replaced); repeatable")
    parser.add_argument("--database-url", help="an admin DSN to create databases on (default: embedded)")
    parser.add_argument("--_static", nargs=2, metavar=("SPEC", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--_load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._static:
        serve_static(Path(args._static[0]), int(args._static[1]))
        return 0
    if args._load:
        print(json.dumps(asyncio.run(_load(args._load, args.connections, args.duration))))
        return 0

    use_wrk = args.load_generator == "wrk" or (args.load_generator == "auto" and shutil.which("wrk"))
    generate = run_wrk if use_wrk else run_python_load
    generator_name = f"wrk -t{args.threads} -c{args.connections}" if use_wrk else \
        f"Python aiohttp load generator, {args.connections} connections"
    print(f"machine: {common.machine()}\nload generator: {generator_name}", file=sys.stderr)

    table: list[Row] = []
    failed = False
    with common.embedded_postgres(args.database_url) as admin_url, \
            common.fresh_database(admin_url, "bench_api") as dsn, \
            tempfile.TemporaryDirectory(prefix="cmd-bench-api-") as work:
        workdir = Path(work)
        csv_path = load_database(dsn, workdir)
        service_port, static_port = common.free_port(), common.free_port()
        log = open(workdir / "service.log", "wb")
        service = subprocess.Popen(
            [common.PYTHON, "-m", "service"], cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(service_port), API_RATE_LIMIT="0",
                                   ETL_ON_STARTUP="false", ETL_SOURCES="csv", CSV_PATH=str(csv_path)))
        static = None
        try:
            service_url = f"http://127.0.0.1:{service_port}"
            wait_until_up(f"{service_url}/health", service)
            spec = {}
            for route in args.routes or ROUTES:
                path_qs = route.format(symbol=args.symbol)
                status, body = http_get(service_url + path_qs)
                if status == 404:
                    print(f"  SKIPPED {path_qs}: the service answers 404 (route not there yet)", file=sys.stderr)
                    table.append(Row(f"4. GET {path_qs}", "skipped: 404", ok=None))
                    continue
                if status != 200:
                    raise RuntimeError(f"GET {path_qs} answered {status}: {body[:500]!r}")
                body_file = workdir / f"body{len(spec)}.json"
                body_file.write_bytes(body)
                spec[path_qs] = str(body_file)
                print(f"  {path_qs}: {len(body):,} bytes, {len(json.loads(body).get('data', []))} records",
                      file=sys.stderr)
            (workdir / "spec.json").write_text(json.dumps(spec))
            static = subprocess.Popen([common.PYTHON, __file__, "--_static", str(workdir / "spec.json"),
                                       str(static_port)], cwd=common.ROOT)
            static_url = f"http://127.0.0.1:{static_port}"
            wait_until_up(f"{static_url}/", static)
            for path_qs in spec:
                results: dict[str, list[dict]] = {"service": [], "static": []}
                for base in (service_url, static_url):  # warm-up: caches, connection set-up, JIT-free but fair
                    generate(base + path_qs, args.connections, 2, args.threads)
                for i in range(args.repeat):
                    for name, base in (("service", service_url), ("static", static_url)):
                        results[name].append(generate(base + path_qs, args.connections, args.duration,
                                                      args.threads))
                    print(f"  {path_qs} repeat {i + 1}: service {results['service'][-1]['rps']:,.0f} req/s, "
                          f"static {results['static'][-1]['rps']:,.0f} req/s", file=sys.stderr)
                table.extend(_rows(path_qs, results))
        finally:
            stop(service)
            log.close()
            if static is not None:
                stop(static)
        if service.returncode not in (0, -signal.SIGTERM):
            print(f"  the service exited {service.returncode}; its log: {workdir / 'service.log'}", file=sys.stderr)
            failed = True
    common.print_table(f"API (median of {args.repeat} x {args.duration:g} s; {generator_name})", table)
    print(f"machine: {common.machine()}")
    return 1 if failed or any(r.ok is False for r in table) else 0


def _rows(path_qs: str, results: dict[str, list[dict]]) -> list[Row]:
    def med(name: str, key: str) -> float:
        return common.median([r[key] for r in results[name]])

    rps, ref = med("service", "rps"), med("static", "rps")
    p99, ref_p99 = med("service", "p99_ms"), med("static", "p99_ms")
    bad = sum(r["non_2xx"] + r["errors"] for r in results["service"])
    return [
        Row(f"4. GET {path_qs} req/s", f"{rps:,.0f}", f"static {ref:,.0f}", f"{rps / ref:.2f}",
            f">= {MIN_SHARE:.0%}", rps / ref >= MIN_SHARE),
        Row("   p99 latency", f"{p99:.1f} ms", f"static {ref_p99:.1f} ms", "", f"< {MAX_P99_MS:g} ms",
            p99 < MAX_P99_MS),
        Row("   non-2xx + socket errors (all repeats)", str(bad), "", "", "0", bad == 0),
    ]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
