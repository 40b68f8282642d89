"""What operators rely on: /health until every source has succeeded, per-source metric series from start-up, log
lines that say where the service listens and why it stopped, text logs with every field, one `source` key."""
from __future__ import annotations

import dataclasses
import logging
import signal
from datetime import datetime, timedelta, timezone

import pytest

from service import logs
from service.etl import scheduler
from tests.api.helpers import coin_rows, health, load_csv
from tests.faults.support import free_port, running_service, service_env


async def test_health_is_degraded_until_each_source_has_succeeded_since_start_up(make_client, settings, pool,
                                                                                 tmp_path):
    # the rows below are observed in 2026-01: not stale for this test, which is about runs
    client = await make_client(dataclasses.replace(settings, etl_sources=("csv",), stale_after_seconds=10 ** 9))
    body = await health(client)
    assert body["status"] == "degraded" and body["problems"] == ["csv: no run yet"]
    # a success from before this process started does not count; a first run in progress is named as such
    await pool.execute("INSERT INTO etl_runs (source, status, started_at, finished_at) "
                       "VALUES ('csv', 'success', '2020-01-01', '2020-01-01')")
    body = await health(client, after=body)
    assert body["status"] == "degraded" and body["problems"] == ["csv: no successful run since this process started"]
    running = await pool.fetchval("INSERT INTO etl_runs (source, status) VALUES ('csv', 'running') RETURNING id")
    body = await health(client, after=body)
    assert body["problems"] == ["csv: no successful run since this process started (its first run is in progress)"]
    assert body["sources"][0]["newest_observation_at"] is None
    await pool.execute("UPDATE etl_runs SET status = 'failed', finished_at = now() WHERE id = $1", running)
    await load_csv(pool, tmp_path / "a.csv", coin_rows(2))
    body = await health(client, after=body)
    assert body["status"] == "healthy" and body["problems"] == [], body
    last_run = body["sources"][0]["last_run"]
    assert last_run["rows_unchanged"] == 0 and last_run["duration_seconds"] >= 0
    assert body["request_id"] and body["api_latency_ms"] >= 0


async def test_stale_means_the_newest_observation_is_old_however_recent_the_run(
        make_client, settings, pool, tmp_path):
    client = await make_client(dataclasses.replace(settings, etl_sources=("csv",), stale_after_seconds=3600))
    now = datetime.now(timezone.utc)
    old = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = await health(client)
    await load_csv(pool, tmp_path / "a.csv", f"OLD,Old coin,1.5,1000,10,0.5,1,{old}\n")
    body = await health(client, after=body)
    (csv,) = body["sources"]
    assert csv["last_run"]["status"] == "success" and csv["last_success_at"] == body["last_success_at"]
    assert csv["stale"] is True and 3 * 86400 - 60 < csv["observation_age_seconds"] < 3 * 86400 + 60
    assert csv["newest_observation_at"] == body["newest_observation_at"] == old
    assert body["status"] == "degraded"
    assert body["problems"] == ["csv: stale: newest observation is 3.0 days old (stale after 60 min)"]
    fresh = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await load_csv(pool, tmp_path / "b.csv", f"NEW,New coin,2.5,1000,10,0.5,1,{fresh}\n")
    body = await health(client, after=body)
    assert body["sources"][0]["stale"] is False and body["status"] == "healthy", body
    assert body["newest_observation_at"] == fresh and body["stale_after_seconds"] == 3600


async def test_every_sources_metric_series_exist_from_start_up_without_created_clutter(client):
    # the registry is the process's: earlier tests may have counted runs, so the series' presence is what counts
    text = await (await client.get("/metrics")).text()
    for source in ("coinpaprika", "coingecko", "csv"):
        assert f'\netl_last_success_timestamp_seconds{{source="{source}"}} ' in text
        for status in ("success", "failed"):
            assert f'\netl_runs_total{{source="{source}",status="{status}"}} ' in text
        assert f'\netl_rows_total{{outcome="rejected",source="{source}"}} ' in text
        assert f'\netl_run_duration_seconds_count{{source="{source}"}} ' in text
    assert "_created" not in text


def test_a_source_that_never_ran_has_its_series_at_zero(monkeypatch):
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    from service import metrics
    registry = CollectorRegistry()  # the process's registry may hold earlier tests' runs
    monkeypatch.setattr(metrics, "ETL_RUNS", Counter("etl_runs_total", "", ["source", "status"], registry=registry))
    monkeypatch.setattr(metrics, "ETL_ROWS", Counter("etl_rows_total", "", ["source", "outcome"], registry=registry))
    monkeypatch.setattr(metrics, "ETL_DURATION", Histogram("etl_run_duration_seconds", "", ["source"],
                                                           registry=registry))
    monkeypatch.setattr(metrics, "ETL_LAST_SUCCESS", Gauge("etl_last_success_timestamp_seconds", "", ["source"],
                                                           registry=registry))
    metrics.register_sources(["csv"])
    text = generate_latest(registry).decode()
    assert 'etl_last_success_timestamp_seconds{source="csv"} 0.0' in text
    assert 'etl_runs_total{source="csv",status="failed"} 0.0' in text
    assert 'etl_rows_total{outcome="inserted",source="csv"} 0.0' in text and "_created" not in text


def test_text_logs_show_every_extra_field_as_key_value():
    formatter = logs.TextFormatter("%(levelname)s %(message)s%(details)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "ETL run finished", None, None)
    record.__dict__.update(status="failed", error="upstream said 500", rows_read=3, drift={"unknown_fields": ["a"]})
    record.context = ""
    assert formatter.format(record) == (
        'INFO ETL run finished status=failed error="upstream said 500" rows_read=3 '
        'drift="{\\"unknown_fields\\":[\\"a\\"]}"')


def test_scheduler_logs_the_source_under_the_one_key_everyone_uses(caplog):
    caplog.set_level(logging.ERROR)

    class Broken:
        name = "coingecko"

    outcome = scheduler._outcome(Broken(), RuntimeError("boom"))
    assert outcome.status == "failed"
    (record,) = [r for r in caplog.records if r.getMessage() == "ETL run crashed"]
    assert record.source == "coingecko" and not hasattr(record, "etl_source")


@pytest.mark.slow
async def test_start_up_line_names_the_urls_and_the_stop_line_the_reason(database_url, tmp_path):
    port = free_port()
    env = service_env(DATABASE_URL=database_url, PORT=port, HOST="127.0.0.1", ETL_ON_STARTUP="false")
    async with running_service(env, log_dir=tmp_path) as service:
        service.signal(signal.SIGTERM)
        assert await service.wait(15) == 0
        records = service.log_records()
    listening = [r for r in records if r["message"].startswith("service listening")]
    assert listening and listening[0]["url"] == f"http://127.0.0.1:{port}"
    assert listening[0]["docs"] == f"http://127.0.0.1:{port}/docs"
    assert listening[0]["dashboard"] == f"http://127.0.0.1:{port}/dashboard"
    assert f"http://127.0.0.1:{port}/dashboard" in listening[0]["message"]
    stopped = [r for r in records if r["message"] == "service stopped"]
    assert stopped and stopped[0]["reason"] == "received SIGTERM"


def test_a_wildcard_bind_is_logged_as_a_url_a_person_can_open():
    from service.__main__ import open_url
    assert open_url("0.0.0.0", 8080) == "http://localhost:8080"
    assert open_url("::", 8080) == "http://localhost:8080"
    assert open_url("::1", 9) == "http://[::1]:9"
    assert open_url("10.1.2.3", 80) == "http://10.1.2.3:80"
