-- Adds the staged quotes of run $1 to the history, like insert_quotes_history, but cheaper: a quote newer than
-- its coin's latest state cannot be in the history yet (the latest state is the newest observation, and only
-- the holder of the source's lock writes), so it is inserted plainly; only older ones check for a conflict.
-- A staged duplicate among the newer quotes raises unique_violation: the caller then uses
-- insert_quotes_history. Returns the number of new observations.
WITH newer AS (
    INSERT INTO quotes_history (
        listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, run_id)
    SELECT m.id, s.source, s.coin_id, s.observed_at, m.asset_id, s.symbol, s.name, s.rank, s.price_usd,
           s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.circulating_supply,
           s.total_supply, s.max_supply, $1
    FROM stage_quotes AS s
    JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
    LEFT JOIN quotes_latest AS l ON l.source = s.source AND l.coin_id = s.coin_id
    WHERE l.observed_at IS NULL OR s.observed_at > l.observed_at
    RETURNING 1
), older AS (
    INSERT INTO quotes_history (
        listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, run_id)
    SELECT m.id, s.source, s.coin_id, s.observed_at, m.asset_id, s.symbol, s.name, s.rank, s.price_usd,
           s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.circulating_supply,
           s.total_supply, s.max_supply, $1
    FROM stage_quotes AS s
    JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
    JOIN quotes_latest AS l ON l.source = s.source AND l.coin_id = s.coin_id
    WHERE s.observed_at <= l.observed_at
    ON CONFLICT (listing_id, observed_at) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM newer) + (SELECT count(*) FROM older)
