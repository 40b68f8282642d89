"""All three sources against the fake upstreams: everything loads once, exactly, under one canonical asset."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from tests.etl.conftest import run_all, run_row, table_counts
from tests.fakes.upstream import load_gecko_fixture, make_paprika_tickers


async def test_full_run_loads_every_record_and_second_run_writes_nothing(pool, etl_settings, paprika, gecko):
    paprika.tickers[3]["quotes"]["USD"]["price"] = Decimal("0.000012345678901234")
    first = await run_all(pool, etl_settings)
    assert {name: o.status for name, o in first.items()} == {
        "coinpaprika": "success", "coingecko": "success", "csv": "success"}, first
    assert await table_counts(pool, "coinpaprika") == {
        "history": 50, "latest": 50, "raw_api": 50, "raw_csv": 1, "rejects": 0}  # the CSV's 2 rows in one raw block
    assert await table_counts(pool, "coingecko") == {
        "history": 100, "latest": 100, "raw_api": 100, "raw_csv": 1, "rejects": 0}  # the CSV's 2 rows in one raw block
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest WHERE source = 'csv'") == 2

    # CoinGecko: 100 coins at 30 a page -> pages 1-4, then the empty page 5 ends the run
    pages = [int(query["page"]) for _, _, query, _ in gecko.requests]
    assert pages == [1, 2, 3, 4, 5]
    assert all(query["per_page"] == "30" and query["vs_currency"] == "usd" for _, _, query, _ in gecko.requests)
    counts = first["coingecko"].counts
    assert (counts.read, counts.inserted, counts.updated, counts.unchanged, counts.rejected, counts.pages) == (
        100, 100, 0, 0, 0, 5)
    assert counts.bytes > 10_000
    row = await run_row(pool, first["coingecko"].run_id)
    assert (row["status"], row["rows_read"], row["rows_inserted"], row["pages_read"], row["bytes_read"]) == (
        "success", 100, 100, 5, counts.bytes)
    assert row["finished_at"] >= row["started_at"]
    assert first["coinpaprika"].counts.pages == 1 and first["csv"].counts.bytes == etl_settings.csv_path.stat().st_size

    before = await table_counts(pool)
    second = await run_all(pool, etl_settings)
    assert all(o.status == "success" for o in second.values())
    assert await table_counts(pool) == before
    for name, expected_read in (("coinpaprika", 50), ("coingecko", 100), ("csv", 0)):
        c = second[name].counts
        assert (c.read, c.inserted, c.updated, c.unchanged, c.rejected) == (expected_read, 0, 0, expected_read, 0)


async def test_prices_come_back_digit_for_digit(pool, etl_settings, paprika, gecko):
    paprika.tickers[3]["quotes"]["USD"]["price"] = Decimal("0.000012345678901234")
    paprika.tickers[4]["quotes"]["USD"]["price"] = Decimal("6.31917e-7")
    outcomes = await run_all(pool, etl_settings, ("coinpaprika", "coingecko"))
    assert all(o.status == "success" for o in outcomes.values())
    stored = {(r["source"], r["coin_id"]): r["price_usd"] for r in await pool.fetch(
        "SELECT source, coin_id, price_usd FROM quotes_history")}
    assert stored["coinpaprika", paprika.tickers[3]["id"]] == Decimal("0.000012345678901234")
    assert str(stored["coinpaprika", paprika.tickers[3]["id"]]) == "0.000012345678901234"
    assert stored["coinpaprika", paprika.tickers[4]["id"]].as_tuple().digits == (6, 3, 1, 9, 1, 7)
    recorded = load_gecko_fixture()
    assert any(coin["current_price"] == Decimal("6.31917e-7") for coin in recorded)
    for coin in recorded:
        price = stored["coingecko", coin["id"]]
        assert price == coin["current_price"], coin["id"]
        assert price.normalize().as_tuple() == Decimal(coin["current_price"]).normalize().as_tuple()
    # other figures are exact too
    caps = {r["coin_id"]: r["market_cap_usd"] for r in await pool.fetch(
        "SELECT coin_id, market_cap_usd FROM quotes_latest WHERE source = 'coingecko'")}
    assert all(caps[c["id"]] == c["market_cap"] for c in recorded)


async def test_coingecko_page_cap_is_respected(pool, etl_settings, gecko):
    settings = dataclasses.replace(etl_settings, coingecko_max_pages=2)
    outcome = (await run_all(pool, settings, ("coingecko",)))["coingecko"]
    assert outcome.status == "success" and outcome.counts.pages == 2 and outcome.counts.read == 60
    assert [int(q["page"]) for _, _, q, _ in gecko.requests] == [1, 2]
    assert await pool.fetchval("SELECT count(*) FROM quotes_latest WHERE source = 'coingecko'") == 60


async def test_one_canonical_asset_across_sources_and_no_merge_on_symbol_alone(pool, etl_settings, tmp_path):
    with etl_settings.csv_path.open("a") as handle:
        handle.write("BTC,Batcoin,0.01,2026-11-25T15:00:00Z\n")  # shares Bitcoin's symbol, not its name
    outcomes = await run_all(pool, etl_settings)
    assert all(o.status == "success" for o in outcomes.values())
    linked = await pool.fetch(
        "SELECT s.source, s.coin_id, a.match_key FROM asset_sources s JOIN assets a ON a.id = s.asset_id"
        " WHERE a.symbol = 'BTC' ORDER BY a.match_key, s.source")
    bitcoin = [(r["source"], r["coin_id"]) for r in linked if r["match_key"] == "BTC:bitcoin"]
    assert bitcoin == [("coingecko", "bitcoin"), ("coinpaprika", "btc-bitcoin"), ("csv", "btc-bitcoin")]
    assert await pool.fetchval("SELECT count(*) FROM assets WHERE match_key = 'BTC:bitcoin'") == 1
    assert [r["match_key"] for r in linked if r["match_key"] != "BTC:bitcoin"] == ["BTC:batcoin"]
    assets = await pool.fetchval(
        "SELECT count(DISTINCT asset_id) FROM quotes_latest WHERE symbol = 'BTC'")
    assert assets == 2
    # history rows of all three sources hang off the same asset id
    per_asset = await pool.fetch(
        "SELECT asset_id, count(DISTINCT source) AS sources FROM quotes_history WHERE symbol = 'BTC'"
        " GROUP BY asset_id ORDER BY sources DESC")
    assert [r["sources"] for r in per_asset] == [3, 1]


async def test_symbols_shared_by_different_coins_stay_apart(pool, etl_settings, paprika):
    tickers = make_paprika_tickers(3)
    for index, name in enumerate(("Meta", "Metaverse Token", "MetaDAO")):
        tickers[index].update(id=f"meta-{index}", symbol="META", name=name)
    paprika.tickers = tickers
    outcome = (await run_all(pool, etl_settings, ("coinpaprika",)))["coinpaprika"]
    assert outcome.status == "success"
    assert await pool.fetchval("SELECT count(*) FROM assets WHERE symbol = 'META'") == 3
