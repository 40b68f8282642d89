-- Per-connection staging table for one batch of historical points; their numbers are the digits as text (COPY of
-- text is four times cheaper than of numeric from Python), read as numeric by insert_stage_history_quotes.sql.
CREATE TEMP TABLE IF NOT EXISTS stage_history (
    source          text NOT NULL,
    coin_id         text NOT NULL,
    observed_at     timestamptz NOT NULL,
    match_key       text NOT NULL,
    symbol          text NOT NULL,
    name            text NOT NULL,
    price_usd       text NOT NULL,
    market_cap_usd  text,
    volume_24h_usd  text
) ON COMMIT DELETE ROWS
