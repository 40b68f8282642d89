-- Per-connection staging table for the distinct coins of one batch's staged quotes (sql/insert_stage_coins.sql),
-- so that the statements adding assets, listings and history read a few thousand coins, not every quote, each.
-- Emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS stage_coins (
    source     text NOT NULL,
    coin_id    text NOT NULL,
    match_key  text NOT NULL,
    symbol     text NOT NULL,
    name       text NOT NULL
) ON COMMIT DELETE ROWS
