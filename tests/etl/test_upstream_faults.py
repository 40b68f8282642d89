"""Upstream trouble on one source: retries where they help, clear failures where they do not, others unharmed."""
from __future__ import annotations

import dataclasses
import logging

import pytest

from tests.etl.conftest import run_all, run_row, table_counts
from tests.fakes.upstream import FakeCoinPaprika, Fault, make_paprika_tickers


def times(fake) -> list[float]:
    return [when for when, _, _, _ in fake.requests]


async def test_429_with_retry_after_is_waited_out_then_succeeds(pool, etl_settings, gecko):
    gecko.faults = [Fault(status=429, headers={"Retry-After": "1"})]
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success", outcome.error
    first, second = times(gecko)[:2]
    assert second - first >= 1.0
    assert [q["page"] for _, _, q, _ in gecko.requests[:2]] == ["1", "1"]
    assert outcome.counts.read == 100


async def test_retry_after_is_capped(pool, etl_settings, gecko):
    settings = dataclasses.replace(etl_settings, http_retry_after_cap_seconds=0.3)
    gecko.faults = [Fault(status=429, headers={"Retry-After": "120"})]
    outcome = (await run_all(pool, settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success", outcome.error
    waited = times(gecko)[1] - times(gecko)[0]
    assert 0.3 <= waited < 3


async def test_503_forever_fails_that_source_alone(pool, etl_settings, paprika):
    paprika.faults = [Fault(status=503, times=1000)]
    outcomes = await run_all(pool, etl_settings)
    assert outcomes["coinpaprika"].status == "failed"
    assert outcomes["coingecko"].status == "success" and outcomes["csv"].status == "success"
    assert len(paprika.requests) == etl_settings.http_max_retries + 1
    row = await run_row(pool, outcomes["coinpaprika"].run_id)
    assert row["status"] == "failed" and "coinpaprika answered HTTP 503" in row["error"]
    assert row["finished_at"] is not None
    assert (await table_counts(pool, "coinpaprika"))["history"] == 0
    assert (await table_counts(pool, "coingecko"))["history"] == 100


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_other_4xx_is_not_retried(pool, etl_settings, paprika, status):
    paprika.faults = [Fault(status=status, times=10)]
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "failed"
    assert len(paprika.requests) == 1
    assert f"HTTP {status}" in outcome.error


@pytest.mark.parametrize("body, headers, expected", [
    (b'[{"id": "btc-bitcoin", "symbol": "BTC"', {}, "not valid JSON"),
    (b"<!DOCTYPE html><html><body><h1>Just a moment...</h1></body></html>",
     {"Content-Type": "text/html"}, "an HTML page instead of JSON"),
    (b'{"status": {"error_code": 0, "error_message": "ok"}}', {}, "a JSON object (keys: status) instead of an array"),
    (b"", {}, "not valid JSON"),
    (b'"tickers"', {}, "a JSON string instead of an array"),
])
async def test_unusable_body_with_200_fails_clearly(pool, etl_settings, paprika, body, headers, expected):
    paprika.faults = [Fault(body=body, headers=headers, times=10)]
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "failed"
    assert expected in outcome.error and outcome.error.startswith("coinpaprika")
    assert len(paprika.requests) == 1  # a bad body is not a transient fault
    assert (await run_row(pool, outcome.run_id))["error"] == outcome.error
    assert await table_counts(pool, "coinpaprika") == {
        "history": 0, "latest": 0, "raw_api": 0, "raw_csv": 0, "rejects": 0}


async def test_connection_reset_mid_body_is_retried(pool, etl_settings, paprika):
    paprika.faults = [Fault(reset=True)]
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success", outcome.error
    assert len(paprika.requests) == 2 and outcome.counts.inserted == 50


async def test_connection_reset_every_time_fails_clearly(pool, etl_settings, paprika):
    paprika.faults = [Fault(reset=True, times=100)]
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "failed"
    assert "coinpaprika connection failed" in outcome.error
    assert len(paprika.requests) == etl_settings.http_max_retries + 1


async def test_slow_answer_times_out_and_is_retried(pool, etl_settings, paprika):
    settings = dataclasses.replace(etl_settings, http_total_timeout_seconds=0.4)
    paprika.faults = [Fault(delay=1.5)]
    outcome = (await run_all(pool, settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success", outcome.error
    assert len(paprika.requests) == 2


async def test_slow_answer_every_time_fails_with_timeout(pool, etl_settings, paprika):
    settings = dataclasses.replace(etl_settings, http_total_timeout_seconds=0.3, http_max_retries=1)
    paprika.faults = [Fault(delay=1.0, times=2)]
    outcome = (await run_all(pool, settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "failed"
    assert "did not answer within the timeout" in outcome.error


async def test_api_keys_sent_as_the_contract_says_and_never_logged(pool, etl_settings, paprika, gecko, caplog):
    settings = dataclasses.replace(etl_settings, coinpaprika_api_key="pp-secret-1", coingecko_api_key="cg-secret-2")
    paprika.api_key, gecko.api_key = "pp-secret-1", "cg-secret-2"
    caplog.set_level(logging.DEBUG)
    outcomes = await run_all(pool, settings, ("coinpaprika", "coingecko"))
    assert all(o.status == "success" for o in outcomes.values()), outcomes
    assert paprika.requests[0][3]["Authorization"] == "pp-secret-1"
    assert gecko.requests[0][3]["x-cg-demo-api-key"] == "cg-secret-2"
    assert "x-cg-pro-api-key" not in gecko.requests[0][3]


async def test_a_wrong_key_fails_without_retry_or_leaking_it(pool, etl_settings, aiohttp_server, caplog):
    fake = FakeCoinPaprika(make_paprika_tickers(3), api_key="the-right-key")
    url = fake.base_url(await aiohttp_server(fake.make_app()))
    settings = dataclasses.replace(etl_settings, coinpaprika_base_url=url, coinpaprika_api_key="wrong-secret-key")
    caplog.set_level(logging.DEBUG)
    outcome = (await run_all(pool, settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "failed" and "HTTP 403" in outcome.error
    assert len(fake.requests) == 1
    row = await run_row(pool, outcome.run_id)
    assert "wrong-secret-key" not in row["error"]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "HTTP 403" in logged
    assert "wrong-secret-key" not in logged
