"""Assembles the aiohttp application: middlewares, routes and every resource's lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from service import db, metrics, partitions
from service.api import ROUTES, openapi
from service.api.health import HEALTH_MAX_AGE_SECONDS
from service.api.stream import close_streams
from service.change_feed import ChangeFeed
from service.etl.identity.links import apply_curated_links
from service.etl.scheduler import Scheduler
from service.etl.backfill import BackgroundBackfill
from service.etl.wiring import wired_sources
from service.listener import listen_forever
from service.replicas import ReadRouter
from service.settings import Settings
from service.web import cursors, unparsable
from service.web.cache import ResponseCache
from service.web.cooldown import TriggerCooldown
from service.web.export_slots import ExportSlots
from service.web.errors import validation_error
from service.web.keys import (ADMIN_COOLDOWN, CHANGE_FEED, DSN, EXPORT_SLOTS, HEALTH_CHECK, POLICIES, POOL,
                              RATE_LIMITER, READER, RESPONSE_CACHE, SCHEDULER, SETTINGS, SNAPSHOTS)
from service.web.middlewares import chain
from service.web.policies import Policies
from service.web.ratelimit import ClientRateLimiter
from service.web.shared import Shared
from service.web.snapshots import Snapshots
from service.web.unparsable import MAX_HEADER_BYTES, MAX_URL_BYTES

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings) -> web.Application:
    unparsable.install()
    app = web.Application(
        middlewares=chain(settings),
        client_max_size=MAX_BODY_BYTES,
        # no route reads a body: never inflate one (a gzip bomb would cost CPU before any handler ran)
        handler_args={"max_line_size": MAX_URL_BYTES, "max_field_size": MAX_HEADER_BYTES, "auto_decompress": False},
    )
    app[SETTINGS] = settings
    app[RATE_LIMITER] = ClientRateLimiter(settings.api_rate_limit)
    app[RESPONSE_CACHE] = ResponseCache()
    app[HEALTH_CHECK] = Shared(max_age_seconds=HEALTH_MAX_AGE_SECONDS)
    app[ADMIN_COOLDOWN] = TriggerCooldown(settings.etl_trigger_cooldown_seconds)
    app[EXPORT_SLOTS] = ExportSlots(settings.export_max_concurrent)
    for table in ROUTES:
        app.router.add_routes(table)
    app[POLICIES] = Policies.of(app.router)
    # Swagger UI is ours (service.api.swagger_ui): the vendored current one, no configuration from the URL
    openapi.setup(app, error_callback=validation_error)
    app.cleanup_ctx.extend([database, change_feed, change_listener, scheduler])
    # streams never end by themselves: they are closed before the server waits for its handlers to finish
    app.on_shutdown.append(close_streams)
    return app


async def database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with db.database_url(settings) as dsn:
        await db.migrate(dsn)
        pool = await db.create_pool(dsn, settings)
        await apply_curated_links(pool, settings)
        reader = ReadRouter(pool, settings.database_read_urls,
                            pool_factory=lambda replica_dsn: db.create_pool(replica_dsn, settings))
        await reader.start()
        app[DSN] = dsn
        app[POOL] = pool
        app[READER] = reader
        app[SNAPSHOTS] = Snapshots(reader)
        cursors.use_key(await cursors.stored_key(pool))
        try:
            yield
        finally:
            await reader.close()
            await asyncio.wait_for(pool.close(), timeout=5)


async def change_feed(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    feed = ChangeFeed(app[READER], app[POOL], replay_seconds=settings.stream_replay_seconds,
                      read_timeout=settings.db_timeout_seconds, heartbeat_seconds=settings.stream_heartbeat_seconds)
    await feed.start()
    app[CHANGE_FEED] = feed
    try:
        yield
    finally:
        await feed.stop()


async def change_listener(app: web.Application) -> AsyncIterator[None]:
    def data_changed(wal_position: str | None) -> None:
        app[READER].data_changed(wal_position)  # first: reads of the new generation need its position
        app[SNAPSHOTS].invalidate()
        app[CHANGE_FEED].changed()

    task = asyncio.create_task(listen_forever(app[DSN], data_changed, on_heard=app[HEALTH_CHECK].invalidate))
    try:
        yield
    finally:
        await _cancel(task)


async def scheduler(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with wired_sources(settings) as wired:
        sources = wired.sources
        metrics.register_sources(source.name for source in sources)
        metrics.register_backfills(wired.upstreams)
        backfills = BackgroundBackfill(app[POOL], settings, wired.upstreams)

        def upkeep():
            return partitions.maintain(app[POOL], settings.history_retention_days)

        runner = Scheduler(app[POOL], sources, interval=settings.etl_interval_seconds,
                           on_startup=settings.etl_on_startup, after_run=upkeep,
                           on_outcome=backfills.source_ran if settings.backfill_days > 0 else None)
        app[SCHEDULER] = runner
        startup_upkeep = asyncio.create_task(upkeep())
        task = asyncio.create_task(runner.loop())
        pool_gauge = asyncio.create_task(_watch_pool(app))
        try:
            yield
        finally:
            grace = max(1.0, settings.shutdown_timeout_seconds - 4)
            await asyncio.gather(runner.stop(grace=grace), backfills.stop(grace=grace))
            await _cancel(startup_upkeep)
            await _cancel(task)
            await _cancel(pool_gauge)


async def _watch_pool(app: web.Application) -> None:
    while True:
        metrics.observe_pool(app[POOL])
        await asyncio.sleep(5)


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
