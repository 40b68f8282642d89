"""Issue 19: requests/s of GET /data, /history and /health vs an aiohttp app answering the same bytes, p99.

    .venv/bin/python tests/benchmarks/bench_api.py [--connections 32] [--duration 10] [--repeat 3]
        [--baseline-root DIR] [--profile DIR]

Loads a generated CSV into a fresh database, starts `python -m service` on it, records each route's body, starts
a static aiohttp app (its own process) answering those bytes from memory, and drives both with the same load
generator: `wrk` when installed, else a Python aiohttp load generator in its own process. With
`--baseline-root` (another checkout, e.g. `git worktree add /tmp/before <commit>`), that tree's service runs on
the same database too and each repeat measures baseline, service and static back to back, so a before/after
comparison shares one machine state. With `--profile`, py-spy samples each service during one extra run per
route and the top functions (own time) are printed.
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
ROUTES = ("/data?limit=50", "/history?symbol={symbol}&limit=200", "/health")
# issue 19's goals: each route's requests/s as a share of the static app's
MIN_SHARE = {"/data": 0.75, "/history": 0.65, "/health": 0.80}
DEFAULT_SHARE = 0.40
MAX_P99_MS = 25.0
PROFILE_TOP = 15


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
    parser.add_argument("--baseline-root", help="another checkout whose service is measured beside this one")
    parser.add_argument("--profile", metavar="DIR", help="py-spy each service per route; raw profiles go to DIR")
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
        trees = {"service": common.ROOT}
        if args.baseline_root:
            trees = {"baseline": Path(args.baseline_root).resolve(), **trees}
        services: dict[str, tuple[subprocess.Popen, str]] = {}
        static = None
        logs = []
        try:
            for name, root in trees.items():
                port = common.free_port()
                log = open(workdir / f"{name}.log", "wb")
                logs.append(log)
                process = subprocess.Popen(
                    [common.PYTHON, "-m", "service"], cwd=root, stdout=subprocess.DEVNULL, stderr=log,
                    env=common.service_env(dsn, HOST="127.0.0.1", PORT=str(port), API_RATE_LIMIT="0",
                                           ETL_ON_STARTUP="false", ETL_SOURCES="csv", CSV_PATH=str(csv_path)))
                services[name] = (process, f"http://127.0.0.1:{port}")
                wait_until_up(f"{services[name][1]}/health", process)
            service_url = services["service"][1]
            spec = {}
            for route in args.routes or ROUTES:
                path_qs = route.format(symbol=args.symbol)
                status, body = http_get(service_url + path_qs)
                if status == 404:
                    print(f"  SKIPPED {path_qs}: the service answers 404 (route not there yet)", file=sys.stderr)
                    table.append(Row(f"GET {path_qs}", "skipped: 404", ok=None))
                    continue
                if status != 200:
                    raise RuntimeError(f"GET {path_qs} answered {status}: {body[:500]!r}")
                body_file = workdir / f"body{len(spec)}.json"
                body_file.write_bytes(body)
                spec[path_qs] = str(body_file)
                print(f"  {path_qs}: {len(body):,} bytes, {len(json.loads(body).get('data', []))} records",
                      file=sys.stderr)
            (workdir / "spec.json").write_text(json.dumps(spec))
            static_port = common.free_port()
            static = subprocess.Popen([common.PYTHON, __file__, "--_static", str(workdir / "spec.json"),
                                       str(static_port)], cwd=common.ROOT)
            static_url = f"http://127.0.0.1:{static_port}"
            wait_until_up(f"{static_url}/", static)
            bases = {name: url for name, (_, url) in services.items()} | {"static": static_url}
            pids = {name: process.pid for name, (process, _) in services.items()} | {"static": static.pid}
            for path_qs in spec:
                results: dict[str, list[dict]] = {name: [] for name in bases}
                for base in bases.values():  # warm-up: caches, connection set-up
                    generate(base + path_qs, args.connections, 2, args.threads)
                for i in range(args.repeat):
                    for name, base in bases.items():
                        cpu_before = _cpu_seconds(pids[name])
                        result = generate(base + path_qs, args.connections, args.duration, args.threads)
                        result["cpu_us"] = (_cpu_seconds(pids[name]) - cpu_before) / max(1, result["requests"]) * 1e6
                        results[name].append(result)
                    print(f"  {path_qs} repeat {i + 1}: " + ", ".join(
                        f"{name} {results[name][-1]['rps']:,.0f} req/s" for name in bases), file=sys.stderr)
                for name in services:
                    table.extend(_rows(path_qs, name, results))
                if args.profile:
                    for name, base in bases.items():
                        _profile(pids[name], base + path_qs, args, generate, Path(args.profile), f"{name} {path_qs}")
        finally:
            for process, _ in services.values():
                common.stop(process)
            for log in logs:
                log.close()
            if static is not None:
                common.stop(static)
        for name, (process, _) in services.items():
            if process.returncode not in (0, -signal.SIGTERM):
                print(f"  {name} exited {process.returncode}; its log: {workdir / (name + '.log')}",
                      file=sys.stderr)
                failed = True
    common.print_table(f"API (median of {args.repeat} x {args.duration:g} s; {generator_name})", table)
    print(f"machine: {common.machine()}")
    return 1 if failed or any(r.ok is False for r in table) else 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc; the figure that least depends on what else
    the shared machine runs)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _profile(pid: int, url: str, args, generate, directory: Path, name: str) -> None:
    """py-spy samples the service (pid) while the load generator drives `url`; prints the top own-time frames."""
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") + ".txt")
    spy = subprocess.Popen([str(Path(common.PYTHON).parent / "py-spy"), "record", "--pid", str(pid), "--format",
                            "raw", "--output", str(out), "--duration", str(int(args.duration)), "--rate", "250",
                            "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    generate(url, args.connections, args.duration, args.threads)
    spy.wait()
    if not out.exists():
        print(f"  profile of {name}: py-spy wrote nothing", file=sys.stderr)
        return
    print(f"\n#### profile: {name} (own time, top {PROFILE_TOP}; {out})\n")
    for share, frame in top_frames(out.read_text(), PROFILE_TOP):
        print(f"  {share:5.1%}  {frame}")


def top_frames(collapsed: str, count: int) -> list[tuple[float, str]]:
    """The frames with the most own samples in py-spy's collapsed stacks (`frame;frame;... N` per line)."""
    own: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        leaf = stack.split(";")[-1]
        own[leaf] = own.get(leaf, 0) + int(samples)
        total += int(samples)
    ranked = sorted(own.items(), key=lambda item: -item[1])[:count]
    return [(samples / total, frame) for frame, samples in ranked]


def _rows(path_qs: str, name: str, results: dict[str, list[dict]]) -> list[Row]:
    def med(who: str, key: str) -> float:
        return common.median([r[key] for r in results[who]])

    rps, ref = med(name, "rps"), med("static", "rps")
    p99, ref_p99 = med(name, "p99_ms"), med("static", "p99_ms")
    bad = sum(r["non_2xx"] + r["errors"] for r in results[name])
    share = MIN_SHARE.get(path_qs.split("?")[0], DEFAULT_SHARE)
    ratios = common.spread([s["rps"] / r["rps"] for s, r in zip(results[name], results["static"])])
    cpu, ref_cpu = med(name, "cpu_us"), med("static", "cpu_us")
    return [
        Row(f"{name}: GET {path_qs} req/s", f"{rps:,.0f}", f"static {ref:,.0f}", f"{rps / ref:.2f} ({ratios})",
            f">= {share:.2f}", rps / ref >= share),
        Row("   server CPU per request", f"{cpu:.0f} us", f"static {ref_cpu:.0f} us", f"{ref_cpu / cpu:.2f}", "", None),
        Row("   p99 latency", f"{p99:.1f} ms", f"static {ref_p99:.1f} ms", "", f"< {MAX_P99_MS:g} ms",
            p99 < MAX_P99_MS),
        Row("   non-2xx + socket errors (all repeats)", str(bad), "", "", "0", bad == 0),
    ]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
