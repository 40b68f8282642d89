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
