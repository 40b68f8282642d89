"""Payload schema drift and invalid values: loud failures, recorded findings, rejects with reasons."""
from __future__ import annotations

import logging
from decimal import Decimal

from tests.etl.conftest import run_all, run_row, table_counts
from tests.fakes.upstream import Fault, dumps, load_gecko_fixture, make_paprika_tickers


async def test_payload_missing_price_fails_naming_the_field_and_loads_nothing(pool, etl_settings, paprika):
    for ticker in paprika.tickers:
        del ticker["quotes"]["USD"]["price"]
    outcomes = await run_all(pool, etl_settings)
    outcome = outcomes["coinpaprika"]
    assert outcome.status == "failed"
    assert "quotes.USD.price" in outcome.error and "required field" in outcome.error
    assert outcomes["coingecko"].status == "success" and outcomes["csv"].status == "success"
    row = await run_row(pool, outcome.run_id)
    assert row["drift"]["missing_required"] == ["quotes.USD.price"]
    assert await table_counts(pool, "coinpaprika") == {
        "history": 0, "latest": 0, "raw_api": 0, "raw_csv": 1, "rejects": 0}  # the CSV's 2 rows in one raw block


async def test_renamed_required_field_fails_and_is_reported_with_confidence(pool, etl_settings, gecko):
    for coin in gecko.coins:
        coin["current_price_usd"] = coin.pop("current_price")
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "failed"
    assert "current_price" in outcome.error and "'current_price_usd'" in outcome.error
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift["possible_renames"] == [
        {"expected": "current_price", "seen": "current_price_usd", "confidence": 0.87}]
    assert (await table_counts(pool, "coingecko"))["history"] == 0


async def test_renamed_optional_field_is_reported_and_the_run_succeeds(pool, etl_settings, gecko, caplog):
    for coin in gecko.coins:
        coin["total_volume_usd"] = coin.pop("total_volume")
    caplog.set_level(logging.WARNING)
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success", outcome.error
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift["possible_renames"] == [
        {"expected": "total_volume", "seen": "total_volume_usd", "confidence": 0.86}]
    assert drift["missing_optional"] == ["total_volume"]
    assert any(r.getMessage() == "schema drift" for r in caplog.records)
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest WHERE volume_24h_usd IS NOT NULL") == 0


async def test_new_unknown_field_is_a_warning_and_the_run_succeeds(pool, etl_settings, paprika, caplog):
    for ticker in paprika.tickers:
        ticker["contract_address"] = "0xabc"
        ticker["quotes"]["USD"]["percent_change_2h"] = Decimal("0.5")
    caplog.set_level(logging.WARNING)
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success", outcome.error
    assert outcome.counts.inserted == 50
    drift = (await run_row(pool, outcome.run_id))["drift"]
    assert drift["unknown_fields"] == ["contract_address", "quotes.USD.percent_change_2h"]
    warnings = [r for r in caplog.records if r.getMessage() == "schema drift"]
    assert warnings and warnings[0].levelno == logging.WARNING
    assert warnings[0].drift["unknown_fields"] == ["contract_address", "quotes.USD.percent_change_2h"]


async def test_recorded_gecko_payload_shows_no_drift(pool, etl_settings, gecko):
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success"
    assert (await run_row(pool, outcome.run_id))["drift"] == {}


async def test_bad_values_are_rejected_with_reasons_never_stored(pool, etl_settings, paprika):
    tickers = make_paprika_tickers(8)
    bad = {1: "__HUGE__", 2: "__NAN__", 3: "not a price", 4: Decimal("-1"), 5: "__INF__", 6: 0}
    for index, price in bad.items():
        tickers[index]["quotes"]["USD"]["price"] = price
    tickers[7]["last_updated"] = "yesterday"
    body = (dumps(tickers).replace(b'"__HUGE__"', b"1e400").replace(b'"__NAN__"', b"NaN")
            .replace(b'"__INF__"', b"Infinity"))
    paprika.faults = [Fault(body=body)]
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success", outcome.error
    assert (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (8, 1, 7)
    rejects = await pool.fetch("SELECT location, raw, reason, run_id FROM etl_rejects ORDER BY id")
    assert [r["reason"] for r in rejects] == [
        "quotes.USD.price is out of range: 1E+400",
        "quotes.USD.price is not finite: NaN",
        "quotes.USD.price is not a number: 'not a price'",
        "quotes.USD.price is negative: -1",
        "quotes.USD.price is not finite: Infinity",
        "quotes.USD.price is zero",
        "last_updated is not an ISO-8601 time: 'yesterday'",
    ]
    assert all(r["run_id"] == outcome.run_id for r in rejects)
    assert [r["location"] for r in rejects] == [t["id"] for t in tickers[1:]]  # the API coin id
    assert tickers[3]["id"] in rejects[2]["raw"] and "not a price" in rejects[2]["raw"]
    stored = [r["coin_id"] for r in await pool.fetch("SELECT coin_id FROM quotes_history")]
    assert stored == [tickers[0]["id"]]
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest") == 1


async def test_bad_numbers_in_other_fields_reject_the_record(pool, etl_settings, gecko):
    coins = load_gecko_fixture()[:3]
    coins[1]["market_cap"] = "lots"
    coins[2]["circulating_supply"] = -5
    gecko.coins = coins
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success"
    reasons = [r["reason"] for r in await pool.fetch("SELECT reason FROM etl_rejects ORDER BY id")]
    assert reasons == ["market_cap is not a number: 'lots'", "circulating_supply is negative: -5"]
    assert await pool.fetchval("SELECT array_agg(coin_id) FROM quotes_latest") == [coins[0]["id"]]


async def test_a_failed_coingecko_run_resumes_from_its_page_checkpoint(pool, etl_settings, gecko):
    gecko.faults = [Fault(), Fault(status=503, times=3)]  # page 1 fine, page 2 down for every attempt
    first = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert first.status == "failed" and "HTTP 503" in first.error
    assert (first.counts.pages, first.counts.inserted) == (1, 30)
    assert await pool.fetchval(
        "SELECT position FROM etl_checkpoints WHERE source = 'coingecko'") == {"next_page": 2}
    gecko.requests.clear()
    second = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    assert second.status == "success", second.error
    assert [int(q["page"]) for _, _, q, _ in gecko.requests] == [2, 3, 4, 5]
    assert (second.counts.pages, second.counts.inserted) == (4, 70)
    assert await pool.fetchval("SELECT count(*) FROM quotes_history WHERE source = 'coingecko'") == 100
    assert await pool.fetchval(
        "SELECT position FROM etl_checkpoints WHERE source = 'coingecko'") == {"next_page": 1}
    gecko.requests.clear()
    await run_all(pool, etl_settings, ("coingecko",))
    assert [int(q["page"]) for _, _, q, _ in gecko.requests][0] == 1
