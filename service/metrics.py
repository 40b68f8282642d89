"""Prometheus metrics of the process: ETL runs and rows, the database pool, standbys, partitions, backfills,
streams and exports (HTTP traffic is counted by service.web.traffic)."""
from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# `*_created` series double the output and no dashboard or alert of ours reads them
disable_created_metrics()

# HTTP traffic is counted by service.web.traffic
ETL_RUNS = Counter("etl_runs_total", "ETL runs finished", ["source", "status"])
ETL_ROWS = Counter("etl_rows_total", "Rows stored by the ETL", ["source", "outcome"])
ETL_DURATION = Histogram(
    "etl_run_duration_seconds", "Duration of ETL runs", ["source"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
ETL_LAST_SUCCESS = Gauge("etl_last_success_timestamp_seconds", "Unix time of the last successful run",
                         ["source"])
DB_POOL_SIZE = Gauge("db_pool_connections", "Connections in the database pool", ["state"])
HISTORY_PARTITIONS_DROPPED = Counter("history_partitions_dropped_total",
                                     "quotes_history partitions dropped past HISTORY_RETENTION_DAYS")
DB_READS = Counter("db_reads_total", "API reads by the server that answered them (a standby or the primary)",
                   ["server"])
REPLICA_UP = Gauge("db_replica_up", "1 while a standby serves reads, 0 while it is down, promoted or lagging",
                   ["replica"])
REPLICA_LAG_BYTES = Gauge("db_replica_lag_bytes", "WAL the standby has yet to replay", ["replica"])
REPLICA_LAG_SECONDS = Gauge("db_replica_lag_seconds", "How long ago the primary stood where the standby stands",
                            ["replica"])
REPLICA_FALLBACKS = Counter("db_replica_fallbacks_total",
                            "Reads a standby did not answer, by reason (behind, slow, down, error)",
                            ["replica", "reason"])
BACKFILL_RUNS = Counter("backfill_runs_total", "Backfill runs finished", ["source", "status"])
BACKFILL_POINTS = Counter("backfill_points_total", "Historical points stored by backfills", ["source"])
BACKFILL_REJECTS = Counter("backfill_rejects_total", "Historical points (or coins) refused by backfills",
                           ["source"])
BACKFILL_REQUESTS = Counter("backfill_requests_total", "Requests to the historical endpoints", ["source"])
BACKFILL_COINS_DONE = Gauge("backfill_coins_done", "Coins the latest backfill has completed", ["source"])
BACKFILL_COINS_LEFT = Gauge("backfill_coins_left", "Coins the latest backfill has yet to complete", ["source"])

STREAM_CLIENTS = Gauge("stream_clients", "Open GET /stream connections")
STREAM_EVENTS = Counter("stream_changes_total", "Changes to the latest state the change feed handed to streams")
STREAM_DROPPED = Counter("stream_clients_dropped_total", "Streams cut because their client fell too far behind")
EXPORTS = Counter("exports_total", "GET /export/history answers, by outcome (started, refused, failed)", ["outcome"])


RUN_STATUSES = ("success", "failed")
ROW_OUTCOMES = ("inserted", "updated", "rejected")


def register_sources(names) -> None:
    """Every per-source series exists from start-up (at 0), so an alert on a source that never succeeded fires:
    `time() - etl_last_success_timestamp_seconds > N` holds from the first scrape while it stays 0."""
    for source in names:
        for status in RUN_STATUSES:
            ETL_RUNS.labels(source, status)
        for outcome in ROW_OUTCOMES:
            ETL_ROWS.labels(source, outcome)
        ETL_DURATION.labels(source)
        ETL_LAST_SUCCESS.labels(source)


def register_backfills(names) -> None:
    """The backfill series of each API source, at 0 from start-up."""
    for source in names:
        for status in RUN_STATUSES:
            BACKFILL_RUNS.labels(source, status)
        for series in (BACKFILL_POINTS, BACKFILL_REJECTS, BACKFILL_REQUESTS, BACKFILL_COINS_DONE,
                       BACKFILL_COINS_LEFT):
            series.labels(source)


def observe_run(source: str, status: str, seconds: float, counts) -> None:
    ETL_RUNS.labels(source, status).inc()
    ETL_DURATION.labels(source).observe(seconds)
    if status == "success":
        ETL_LAST_SUCCESS.labels(source).set(time.time())


def observe_batch(source: str, inserted: int, updated: int, rejected: int) -> None:
    ETL_ROWS.labels(source, "inserted").inc(inserted)
    ETL_ROWS.labels(source, "updated").inc(updated)
    ETL_ROWS.labels(source, "rejected").inc(rejected)


def observe_backfill_batch(source: str, points: int, rejected: int, progress: dict | None) -> None:
    BACKFILL_POINTS.labels(source).inc(points)
    BACKFILL_REJECTS.labels(source).inc(rejected)
    if progress:
        BACKFILL_COINS_DONE.labels(source).set(progress.get("coins_done", 0))
        BACKFILL_COINS_LEFT.labels(source).set(progress.get("coins_left", 0))


def observe_backfill_run(source: str, status: str) -> None:
    BACKFILL_RUNS.labels(source, status).inc()


def observe_pool(pool) -> None:
    size, idle = pool.get_size(), pool.get_idle_size()
    DB_POOL_SIZE.labels("total").set(size)
    DB_POOL_SIZE.labels("idle").set(idle)
    DB_POOL_SIZE.labels("in_use").set(size - idle)
