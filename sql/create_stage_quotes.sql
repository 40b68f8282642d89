-- Per-connection staging table for one batch of normalized quotes; emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS stage_quotes (
    source              text NOT NULL,
    coin_id             text NOT NULL,
    observed_at         timestamptz NOT NULL,
    match_key           text NOT NULL,
    symbol              text NOT NULL,
    name                text NOT NULL,
    rank                integer,
    price_usd           numeric NOT NULL,
    market_cap_usd      numeric,
    volume_24h_usd      numeric,
    percent_change_24h  numeric,
    circulating_supply  numeric,
    total_supply        numeric,
    max_supply          numeric,
    -- filled by the API sources only (records.EXTRA_QUOTE_COLUMNS)
    percent_change_1h            numeric,
    percent_change_7d            numeric,
    ath_price_usd                numeric,
    ath_at                       timestamptz,
    fully_diluted_valuation_usd  numeric,
    high_24h_usd                 numeric,
    low_24h_usd                  numeric,
    -- the stage_csv record a CSV quote came from (sql/select_csv_unstaged_lines.sql)
    csv_ord             bigint
) ON COMMIT DELETE ROWS
