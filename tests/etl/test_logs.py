"""The log stream operators read: one ERROR line per failed run, no null fields, ISO-8601 UTC times, the next
run's time at the end of each scheduled run, and no retries that cannot help."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import socket
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from service import logs
from service.etl.records import SourceError
from service.etl.scheduler import Scheduler
from service.etl.upstream import TokenBucket, Upstream
from service.etl.wiring import enabled_sources
from tests.fakes.upstream import Fault


@contextlib.contextmanager
def configured(fmt: str):
    """The service's log set-up writing to a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("INFO", fmt, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


@pytest.fixture
def json_lines():
    """Reads the JSON log lines written since the last call, as dicts."""
    with configured("json") as stream:
        def read() -> list[dict]:
            text = stream.getvalue()
            stream.seek(0)
            stream.truncate()
            return [json.loads(line) for line in text.splitlines()]
        yield read


def _nulls(value, path="") -> list[str]:
    if value is None:
        return [path or "(line)"]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _nulls(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _nulls(item, f"{path}[{i}]")]
    return []


async def test_a_failed_run_is_one_error_line_and_no_line_has_a_null_field(pool, etl_settings, gecko, json_lines):
    # retried (Retry-After: 0 keeps the test fast), then failed for good; the CSV source succeeds beside it
    gecko.faults = [Fault(status=503, headers={"Retry-After": "0"}, body=b"down for maintenance", times=1000)]
    settings = dataclasses.replace(etl_settings, http_max_retries=2)
    async with enabled_sources(settings, ("coingecko", "csv")) as sources:
        scheduler = Scheduler(pool, sources, interval=3600, on_startup=True)
        task = asyncio.create_task(scheduler.loop())
        try:
            async with asyncio.timeout(30):
                lines = []
                while not any(line["message"].startswith("scheduled run done") for line in lines):
                    await asyncio.sleep(0.05)
                    lines += json_lines()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    lines += json_lines()
    assert [line for line in lines if _nulls(line)] == []
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["source"] == "coingecko" and error["status"] == "failed" and "HTTP 503" in error["error"]
    assert error["run_id"] == await pool.fetchval("SELECT id FROM etl_runs WHERE source = 'coingecko'")
    assert len([line for line in lines if line["level"] == "WARNING" and "retrying" in line["message"]]) == 2
    # the CSV's own end line is INFO and has no `error` key at all (absent, not null)
    (csv_end,) = [line for line in lines if line["message"] == "ETL run finished" and line["source"] == "csv"]
    assert csv_end["level"] == "INFO" and "error" not in csv_end
    for line in lines:
        assert line["time"].endswith("Z") and datetime.fromisoformat(line["time"]).tzinfo == timezone.utc
    (done,) = [line for line in lines if line["message"].startswith("scheduled run done")]
    assert done["statuses"] == {"coingecko": "failed", "csv": "success"} and "error" not in done
    next_run = datetime.fromisoformat(done["next_run_at"])
    assert timedelta(seconds=3590) < next_run - datetime.now(timezone.utc) <= timedelta(seconds=3600)
    assert done["next_run_at"] in done["message"]
    assert scheduler.next_run_at.replace(microsecond=0) == next_run


def test_text_lines_carry_iso_utc_times_and_leave_empty_fields_out():
    with configured("text") as stream:
        logging.getLogger("t").info("hello", extra={"error": None, "rows": 3})
    line = stream.getvalue().strip()
    stamp, rest = line.split(" ", 1)
    assert datetime.fromisoformat(stamp).tzinfo == timezone.utc and stamp.endswith("Z")
    assert rest.split() == ["INFO", "t", "hello", "rows=3"]


class _UnknownName(aiohttp.abc.AbstractResolver):
    def __init__(self):
        self.lookups = 0

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.lookups += 1
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self):
        pass


@pytest.mark.parametrize("max_retries", [0, 4])
async def test_an_unknown_host_name_is_tried_at_most_twice(max_retries):
    resolver = _UnknownName()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as session:
        upstream = Upstream("coingecko", session, "http://no-such-host.example", headers={},
                            bucket=TokenBucket(1000, 1000), max_retries=max_retries, retry_after_cap=0,
                            backoff_max=0.01)
        with pytest.raises(SourceError, match="Name or service not known"):
            await upstream.get_json("/ping")
    assert resolver.lookups == min(max_retries, 1) + 1


async def test_a_bad_url_is_never_retried():
    async with aiohttp.ClientSession() as session:
        upstream = Upstream("coingecko", session, "http://[::1", headers={}, bucket=TokenBucket(1000, 1000),
                            max_retries=4, retry_after_cap=0, backoff_max=0.01)
        with pytest.raises(SourceError) as raised:
            await upstream.get_json("/ping")
    assert type(raised.value) is SourceError and "cannot connect" in str(raised.value)
