"""The command line: `python -m service` (serve + scheduler), `... etl [--source NAME ...]`, `... migrate`,
`... backfill [--source NAME ...] [--days N] [--symbols SYM,SYM | --top N]`."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import asyncpg
import psycopg

from service import db, logs
from service.etl.registry import API_NAMES
from service.settings import KNOWN_SOURCES, Settings, SettingsError

log = logging.getLogger("service")
_DATABASE_FAILURES = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, psycopg.Error)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    secrets = settings.secrets
    logs.configure(settings.log_level, settings.log_format, secrets=secrets)
    try:
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "etl":
            return asyncio.run(_etl_once(settings, tuple(args.source or ()) or None))
        if args.command == "backfill":
            from service.backfill_cli import backfill_once
            return asyncio.run(backfill_once(settings, args))
        return _serve(settings)
    except (db.UnsupportedServer, db.EmbeddedDataUnsupported) as exc:
        print(exc, file=sys.stderr)
        return 1
    except _DATABASE_FAILURES as exc:
        detail = " ".join(str(exc).split())
        print(logs.redact(f"database unavailable: {type(exc).__name__}: {detail}", secrets), file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API and run the ETL scheduler (the default)")
    commands.add_parser("migrate", help="apply pending migrations and exit")
    etl = commands.add_parser("etl", help="run the ETL once and exit: 0 when every source succeeded")
    etl.add_argument("--source", action="append", choices=KNOWN_SOURCES, metavar="NAME",
                     help=f"a source to run ({', '.join(KNOWN_SOURCES)}); repeatable; default: ETL_SOURCES")
    backfill = commands.add_parser("backfill", help="fill the history of the known coins from each API source's "
                                                    "historical endpoint and exit: 0 when every source completed")
    backfill.add_argument("--source", action="append", choices=API_NAMES, metavar="NAME",
                          help=f"a source to backfill ({', '.join(API_NAMES)}); repeatable; default: the API "
                               "sources of ETL_SOURCES")
    backfill.add_argument("--days", type=_positive_int, metavar="N",
                          help="how many days back (default: BACKFILL_DAYS, else 30)")
    only = backfill.add_mutually_exclusive_group()
    only.add_argument("--symbols", type=_symbols, metavar="SYM,SYM", help="only the coins with these symbols")
    only.add_argument("--top", type=_positive_int, metavar="N", help="only each source's first N coins by rank")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _symbols(text: str) -> tuple[str, ...]:
    symbols = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    if not symbols:
        raise argparse.ArgumentTypeError("names no symbol")
    return symbols


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from service.app import create_app

    app = create_app(settings)
    stop = {"reason": "the server stopped by itself"}
    app.on_startup.append(lambda _: _log_stop_signals(stop))
    base = open_url(settings.host, settings.port)

    def listening(_) -> None:
        log.info("service listening on %s (dashboard %s/dashboard, API docs %s/docs)", base, base, base,
                 extra={"url": base, "dashboard": f"{base}/dashboard", "docs": f"{base}/docs",
                        "bound_to": f"{settings.host}:{settings.port}"})

    try:
        # aiohttp calls `print` once its sockets listen: that is when the service is reachable
        web.run_app(app, host=settings.host, port=settings.port, access_log=None, print=listening,
                    shutdown_timeout=settings.shutdown_timeout_seconds, handle_signals=True,
                    # also closes connections that never send a request (slow-loris), not only idle keep-alives
                    keepalive_timeout=settings.http_idle_timeout_seconds)
    except BaseException as exc:
        stop["reason"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        log.info("service stopped", extra={"reason": stop["reason"]})
    return 0


def open_url(host: str, port: int) -> str:
    """A URL a person can open for a listening address: a wildcard bind is reachable as localhost."""
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


async def _log_stop_signals(stop: dict) -> None:
    """Replaces aiohttp's SIGTERM/SIGINT handlers with ones that say which signal stopped the service."""
    from aiohttp import web

    def stop_on(signum: int) -> None:
        stop["reason"] = f"received {signal.Signals(signum).name}"
        log.info("service stopping", extra={"reason": stop["reason"]})
        raise web.GracefulExit()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_on, sig)


async def _migrate(settings: Settings) -> int:
    async with db.database_url(settings) as dsn:
        applied = await db.migrate(dsn)
    print(f"applied {len(applied)} migration(s)", file=sys.stderr)
    return 0


async def _etl_once(settings: Settings, only: tuple[str, ...] | None) -> int:
    from service import partitions
    from service.etl.identity.links import apply_curated_links
    from service.etl.scheduler import Scheduler
    from service.etl.wiring import enabled_sources
    from service.cli_outcomes import report

    async with db.database_url(settings) as dsn:
        await db.migrate(dsn)
        pool = await db.create_pool(dsn, settings)
        try:
            await apply_curated_links(pool, settings)
            async with enabled_sources(settings, only) as sources:
                scheduler = Scheduler(pool, sources, interval=settings.etl_interval_seconds, on_startup=True,
                                      after_run=lambda: partitions.maintain(pool, settings.history_retention_days))
                run = asyncio.ensure_future(scheduler.run_all(trigger="cli"))
                _stop_on_signals(scheduler, run, settings.shutdown_timeout_seconds)
                outcomes = await run
        finally:
            await pool.close()
    return report(outcomes, lambda counts: f"read={counts.read} inserted={counts.inserted} updated={counts.updated} "
                                           f"unchanged={counts.unchanged} rejected={counts.rejected}")


def _stop_on_signals(scheduler, run: asyncio.Future, grace: float) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        log.info("stop requested; finishing the current batch")
        asyncio.ensure_future(scheduler.stop(grace=max(1.0, grace - 4)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


if __name__ == "__main__":
    sys.exit(main())
