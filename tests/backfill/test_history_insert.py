"""A backfill's quotes go into the history without a probe each; one that is there after all (written meanwhile
by the live run) falls back to the checked insert: stored once, never an error."""
from __future__ import annotations

from datetime import timedelta

from service.etl.history import insert_history
from service.sql import SQL
from tests.backfill.conftest import live


async def test_a_missing_quote_that_is_there_after_all_is_kept_once(pool, bf_settings):
    await live(pool, bf_settings, "coingecko")
    latest = await pool.fetchrow("SELECT * FROM quotes_latest WHERE coin_id = 'bitcoin'")
    async with pool.acquire() as connection:
        for statement in (SQL.create_stage_quotes, SQL.create_stage_coins):
            await connection.execute(statement)
        async with connection.transaction():
            rows = [("coingecko", "bitcoin", at, "BTC:bitcoin", "BTC", "Bitcoin", latest["price_usd"])
                    for at in (latest["observed_at"], latest["observed_at"] - timedelta(hours=1))]
            await connection.copy_records_to_table("stage_quotes", records=rows, columns=(
                "source", "coin_id", "observed_at", "match_key", "symbol", "name", "price_usd"))
            await connection.execute(SQL.insert_stage_coins)
            assert await insert_history(connection, latest["run_id"], missing=True) == 1
    assert await pool.fetchval("SELECT count(*) FROM quotes_history WHERE coin_id = 'bitcoin'") == 2


async def test_points_reach_stage_quotes_exactly_through_copy_text(pool):
    from datetime import datetime, timezone

    from service.etl.records import Batch
    from service.etl.sources.api_stager import ApiRecords, HistoryStager
    from service.etl.sources.history import HISTORY_COLUMNS

    at = datetime(2026, 3, 31, 1, 1, 2, 345000, tzinfo=timezone.utc)
    odd = "Tab\there, back\\slash\nnewline é"
    quotes = (("coingecko", "odd-coin", at, "ODD:odd", "ODD", odd, "6.31917e-7", None, "1734455123456"),)
    records = ApiRecords(read=1, columns=HISTORY_COLUMNS, quotes=quotes, rejects=(), raw=(), skipped=0)
    async with pool.acquire() as connection:
        await connection.execute(SQL.create_stage_quotes)
        async with connection.transaction():
            staged = await HistoryStager(1).stage(connection, Batch(stream="s", position={}, payload=records))
            row = await connection.fetchrow("SELECT name, observed_at, price_usd::text AS price, market_cap_usd, "
                                            "volume_24h_usd::text AS volume FROM stage_quotes")
    assert staged.quotes == 1 and staged.missing
    assert dict(row) == {"name": odd, "observed_at": at, "price": "0.000000631917", "market_cap_usd": None,
                         "volume": "1734455123456"}
