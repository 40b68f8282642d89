-- Adds the staged quotes of run $1 to the history; an observation already there is kept as it was.
-- Returns the number of new observations.
WITH added AS (
    INSERT INTO quotes_history (
        listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, percent_change_1h,
        percent_change_7d, ath_price_usd, ath_at, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, run_id)
    SELECT m.id, s.source, s.coin_id, s.observed_at, m.asset_id, s.symbol, s.name, s.rank, s.price_usd,
           s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.circulating_supply,
           s.total_supply, s.max_supply, s.percent_change_1h, s.percent_change_7d, s.ath_price_usd, s.ath_at,
           s.fully_diluted_valuation_usd, s.high_24h_usd, s.low_24h_usd, $1
    FROM stage_quotes AS s
    JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
    ON CONFLICT (listing_id, observed_at) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM added
