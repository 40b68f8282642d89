"""The further fields of the API sources (1 h / 7 d change, all-time high, FDV, 24 h range): kept exactly, served
by /data and /history, null for CSV; and each API reject located by its coin id."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from service.app import create_app
from service.jsonutil import loads_exact
from tests.etl.conftest import run_all
from tests.fakes.upstream import make_gecko_coins, make_paprika_tickers

EXTRA = ("percent_change_1h", "percent_change_7d", "ath_price_usd", "ath_at", "fully_diluted_valuation_usd",
         "high_24h_usd", "low_24h_usd")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


async def test_extra_fields_are_stored_exactly_and_null_where_a_source_has_none(pool, etl_settings, paprika, gecko):
    paprika.tickers = make_paprika_tickers(3)
    paprika.tickers[0]["quotes"]["USD"].update(percent_change_1h=Decimal("-0.0123456789"), ath_price=None,
                                               ath_date=None)
    gecko.coins = make_gecko_coins(3)
    gecko.coins[0].update(high_24h=Decimal("69045.123456789012345"), low_24h=Decimal("0.00000001234"),
                          fully_diluted_valuation=None)
    outcomes = await run_all(pool, etl_settings)
    assert all(outcome.status == "success" for outcome in outcomes.values()), outcomes
    # CoinGecko gives the 1 h and 7 d change only when asked
    assert all(query["price_change_percentage"] == "1h,7d" for _, _, query, _ in gecko.requests)
    latest = await pool.fetch(f"SELECT source, coin_id, {', '.join(EXTRA)} FROM quotes_latest")
    rows = {(r["source"], r["coin_id"]): r for r in latest}
    ticker = next(t for t in paprika.tickers[1:] if t["quotes"]["USD"]["ath_date"])
    usd = ticker["quotes"]["USD"]
    row = rows[("coinpaprika", ticker["id"])]
    assert (row["percent_change_1h"], row["percent_change_7d"], row["ath_price_usd"]) == (
        usd["percent_change_1h"], usd["percent_change_7d"], usd["ath_price"])
    assert row["ath_at"] == _utc(usd["ath_date"])
    assert (row["fully_diluted_valuation_usd"], row["high_24h_usd"], row["low_24h_usd"]) == (None, None, None)
    first = rows[("coinpaprika", paprika.tickers[0]["id"])]
    assert first["percent_change_1h"] == Decimal("-0.0123456789") and first["ath_price_usd"] is None
    coin = gecko.coins[0]
    row = rows[("coingecko", coin["id"])]
    assert (row["high_24h_usd"], row["low_24h_usd"], row["fully_diluted_valuation_usd"]) == (
        Decimal("69045.123456789012345"), Decimal("0.00000001234"), None)
    assert (row["ath_price_usd"], row["ath_at"]) == (coin["ath"], _utc(coin["ath_date"]))
    assert row["percent_change_1h"] is not None and row["percent_change_7d"] is not None
    csv_rows = await pool.fetch(f"SELECT {', '.join(EXTRA)} FROM quotes_history WHERE source = 'csv'")
    assert csv_rows and all(value is None for r in csv_rows for value in r.values())
    history = await pool.fetchrow(f"SELECT {', '.join(EXTRA)} FROM quotes_history WHERE coin_id = $1", coin["id"])
    assert dict(history) == {name: row[name] for name in EXTRA}


async def test_data_and_history_serve_the_extra_fields_with_their_digits(pool, etl_settings, gecko, aiohttp_client):
    gecko.coins = make_gecko_coins(2)
    gecko.coins[0].update(high_24h=Decimal("1.10000"), ath_date="2021-11-10T14:24:11.849Z")
    assert (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"].status == "success"
    client = await aiohttp_client(create_app(etl_settings))
    coin = gecko.coins[0]
    data = await client.get("/data?source=coingecko&limit=500")
    record = next(r for r in loads_exact(await data.read())["data"] if r["coin_id"] == coin["id"])
    assert record["high_24h_usd"] == Decimal("1.10000") and record["ath_at"] == "2021-11-10T14:24:11.849000Z"
    symbol = coin["symbol"].upper()
    history = await client.get(f"/history?symbol={symbol}&source=coingecko")
    observation = loads_exact(await history.read())["data"][0]
    assert observation["high_24h_usd"] == Decimal("1.10000")
    assert {name: observation[name] for name in EXTRA} == {name: record[name] for name in EXTRA}


async def test_api_rejects_are_located_by_coin_id(pool, etl_settings, gecko):
    gecko.coins = make_gecko_coins(3)
    gecko.coins[1]["current_price"] = "1,5"
    gecko.coins[2]["ath_date"] = "yesterday"
    outcome = (await run_all(pool, etl_settings, ("coingecko",)))["coingecko"]
    rejects = await pool.fetch("SELECT location, reason FROM etl_rejects ORDER BY id")
    assert [(r["location"], r["reason"]) for r in rejects] == [
        (gecko.coins[1]["id"], "current_price is not a number: '1,5'"),
        (gecko.coins[2]["id"], "ath_date is not an ISO-8601 time: 'yesterday'"),
    ]
    assert outcome.counts.rejected == 2
