"""GET /health: does the database answer, how did each source's last run go, how old is its newest data and
when does the next run start.

"Stale" measures the data, not the runs: a source is stale when its newest stored observation (observed_at)
is older than STALE_AFTER_SECONDS, however recently a run succeeded (a run that brings nothing new leaves the
data as old as it was)."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema
from marshmallow import Schema, fields

from service.api.schemas import LastRun, NoQuery
from service.sql import SQL
from service.web.keys import HEALTH_CHECK, POOL, READER, SCHEDULER, SETTINGS
from service.web import raw
from service.web.policies import unlimited
from service.web.responses import body_rest, spliced_response

routes = web.RouteTableDef()
# how long one check answers for at most; any change heard of (a run written, data stored, the database lost)
# ends it at once (service.listener), so this bounds only what no notification tells: the clock, the standbys
HEALTH_MAX_AGE_SECONDS = 1.0
# "since start-up": a source must have succeeded (on any replica) after this process started to count as healthy
STARTED_AT = datetime.now(timezone.utc)


class SourceHealth(Schema):
    source = fields.String()
    last_run = fields.Nested(LastRun, allow_none=True, metadata={
        "description": "The source's newest run; null before its first"})
    last_success_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the source's last successful run finished"})
    newest_observation_at = fields.DateTime(allow_none=True, metadata={
        "description": "The newest observed_at the source has stored (the time its data describes)"})
    observation_age_seconds = fields.Float(allow_none=True, metadata={
        "description": "Seconds from newest_observation_at to now"})
    stale = fields.Boolean(metadata={
        "description": "No stored observation, or the newest is older than STALE_AFTER_SECONDS"})
    next_run_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the scheduler starts its next run of the source; null when no scheduler runs here"})


class ReplicaHealth(Schema):
    name = fields.String(metadata={"example": "10.0.0.7:5432/market"})
    state = fields.String(metadata={"enum": ["up", "lagging", "down", "not_standby", "unknown"]})
    lag_bytes = fields.Integer(allow_none=True)
    lag_seconds = fields.Float(allow_none=True)
    replay_lsn = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class Health(Schema):
    request_id = fields.String()
    api_latency_ms = fields.Float()
    status = fields.String(metadata={"example": "healthy", "enum": ["healthy", "degraded", "unhealthy"]})
    database = fields.String(metadata={"example": "connected"})
    database_latency_ms = fields.Float(allow_none=True)
    last_success_at = fields.DateTime(allow_none=True, metadata={
        "description": "The latest end of a successful run, over all sources"})
    newest_observation_at = fields.DateTime(allow_none=True, metadata={
        "description": "The newest stored observation, over all sources"})
    next_run_at = fields.DateTime(allow_none=True, metadata={"description": "When the next scheduled run starts"})
    stale_after_seconds = fields.Float(metadata={
        "description": "A source whose newest observation is older than this is stale (STALE_AFTER_SECONDS)"})
    sources = fields.List(fields.Nested(SourceHealth))
    replicas = fields.List(fields.Nested(ReplicaHealth), metadata={
        "description": "Each DATABASE_READ_URLS standby; one not `up` makes the status `degraded` (reads then go "
                       "to the primary or another standby)"})
    problems = fields.List(fields.String())
    checked_at = fields.DateTime()


@docs(tags=["operations"], summary="Liveness of the database and the ETL, freshness of the data",
      description="200 `healthy`, or 200 `degraded` while a source has not succeeded since this process "
                  "started, its latest run failed or its data is stale: its newest observation is older than "
                  "`stale_after_seconds` (each named in `problems`); 503 `unhealthy` when the database does not "
                  "answer. `next_run_at` is when the scheduler starts its next run. Never rate-limited. One check "
                  "(`checked_at`) answers every request for up to a second, until anything it read changes: a run "
                  "is written, data is stored, the database connection is lost.")
@response_schema(Health, 200, description="healthy or degraded")
@response_schema(Health, 503, description="The database does not answer")
@querystring_schema(NoQuery)
@unlimited
@routes.get("/health")
async def get_health(request: web.Request) -> web.Response:
    status, rest = await request.app[HEALTH_CHECK].get(lambda: _check(request.app))
    if status == 200 and raw.plain(request):
        return raw.answer(request, rest, raw.untagged_block)
    return spliced_response(request, rest, status=status)


async def _check(app: web.Application) -> tuple[int, bytes]:
    """The status and the body (after its per-request head) of one check of the database and the sources."""
    settings = app[SETTINGS]
    pool = app[POOL]
    now = datetime.now(timezone.utc)
    scheduler = app.get(SCHEDULER)
    next_run_at = scheduler.next_run_at if scheduler is not None else None
    started = time.perf_counter()
    try:
        # one round trip: the sources' state is the query whose answer proves the database answers
        async with asyncio.timeout(settings.db_timeout_seconds):
            rows = await pool.fetch(SQL.select_source_health)
        latency = round((time.perf_counter() - started) * 1000, 3)
    except (OSError, asyncio.TimeoutError, Exception) as exc:  # any failure to answer is "disconnected"
        return 503, body_rest({
            "status": "unhealthy", "database": "disconnected", "database_latency_ms": None,
            "last_success_at": None, "newest_observation_at": None, "next_run_at": next_run_at,
            "stale_after_seconds": settings.stale_after_seconds,
            "problems": [f"database: {type(exc).__name__}"], "sources": [],
            "replicas": app[READER].describe(), "checked_at": now,
        })
    sources, problems = _sources(rows, settings, now, next_run_at)
    replicas = app[READER].describe()
    problems += [f"replica {r['name']}: {r['state']}" + (f": {r['error']}" if r["error"] else "")
                 for r in replicas if r["state"] not in ("up", "unknown")]
    return 200, body_rest({
        "status": "degraded" if problems else "healthy", "database": "connected",
        "database_latency_ms": latency,
        "last_success_at": _newest(s["last_success_at"] for s in sources),
        "newest_observation_at": _newest(s["newest_observation_at"] for s in sources),
        "next_run_at": next_run_at, "stale_after_seconds": settings.stale_after_seconds,
        "sources": sources, "replicas": replicas, "problems": problems, "checked_at": now,
    })


_RUN_FIELDS = ("id", "status", "started_at", "finished_at", "duration_seconds", "error", "rows_read", "rows_inserted",
               "rows_updated", "rows_unchanged", "rows_rejected")


def _sources(rows, settings, now, next_run_at) -> tuple[list[dict], list[str]]:
    by_source = {row["source"]: row for row in rows}
    limit = settings.stale_after_seconds
    sources, problems = [], []
    for name in settings.etl_sources:
        row = by_source.get(name)
        if row is None:
            problems.append(f"{name}: no run yet")
            sources.append({"source": name, "last_run": None, "last_success_at": None,
                            "newest_observation_at": None, "observation_age_seconds": None, "stale": True,
                            "next_run_at": next_run_at})
            continue
        last_success, newest = row["last_success_at"], row["newest_observation_at"]
        age = (now - newest).total_seconds() if newest else None
        stale = age is None or age > limit
        before = len(problems)
        if row["status"] == "failed":
            problems.append(f"{name}: last run failed: {row['error']}")
        elif last_success is None or last_success < STARTED_AT:
            problems.append(f"{name}: no successful run since this process started"
                            + (" (its first run is in progress)" if row["status"] == "running" else ""))
        if stale and row["status"] != "running":
            if age is not None:
                problems.append(f"{name}: stale: newest observation is {_duration(age)} old "
                                f"(stale after {_duration(limit)})")
            elif len(problems) == before:  # a run that failed or never succeeded already says why
                problems.append(f"{name}: no observation stored yet")
        sources.append({
            "source": name,
            "last_run": {k: row[k] for k in _RUN_FIELDS},
            "last_success_at": last_success, "newest_observation_at": newest,
            "observation_age_seconds": round(age, 3) if age is not None else None, "stale": stale,
            "next_run_at": next_run_at,
        })
    return sources, problems


def _newest(moments) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


def _duration(seconds: float) -> str:
    """A person's reading of a span: 45 s, 12 min, 5.5 h, 11.7 days."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{timedelta(seconds=seconds) / timedelta(days=1):.1f} days"
