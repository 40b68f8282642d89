-- Adds the staged quotes of run $1 to the history; an observation already there is kept as it was. Returns the
-- number of new observations.
-- Unless $2 (check every quote), each quote is inserted plainly when it is newer than its coin's latest state
-- (the latest state is the newest observation, so it cannot be in the history yet) or its key is not found in
-- the history: one index probe, cheaper than ON CONFLICT's speculative insertion (a shuffled file's quotes are
-- mostly older than their coin's latest state). A quote staged twice in the batch, or written meanwhile by the
-- source's other writer (its backfill beside its live run, or the reverse: the insert waits for it, then fails),
-- raises unique_violation and the caller runs this again with $2 true, each quote inserted ON CONFLICT DO NOTHING
-- (`newer_than` null).
-- When $3 (quotes a backfill found missing: each fills an empty bucket), every quote is inserted plainly, with no
-- probe at all: one that is there after all raises unique_violation, and the caller runs this with $2 true.
-- Each staged coin's listing and latest time are looked up once, then matched to its quotes in a hash.
WITH coins AS MATERIALIZED (
    SELECT m.source, m.coin_id, m.id AS listing_id, m.asset_id,
           CASE WHEN $3::boolean THEN '-infinity'
                WHEN NOT $2::boolean THEN coalesce(l.observed_at, '-infinity') END AS newer_than
    FROM (SELECT DISTINCT source, coin_id FROM stage_coins) AS c
    JOIN asset_sources AS m ON m.source = c.source AND m.coin_id = c.coin_id
    LEFT JOIN quotes_latest AS l ON l.source = c.source AND l.coin_id = c.coin_id
), plain AS (
    INSERT INTO quotes_history (
        listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, percent_change_1h,
        percent_change_7d, ath_price_usd, ath_at, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, run_id)
    SELECT k.listing_id, s.source, s.coin_id, s.observed_at, k.asset_id, s.symbol, s.name, s.rank, s.price_usd,
           s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.circulating_supply, s.total_supply,
           s.max_supply, s.percent_change_1h, s.percent_change_7d, s.ath_price_usd, s.ath_at,
           s.fully_diluted_valuation_usd, s.high_24h_usd, s.low_24h_usd, $1
    FROM stage_quotes AS s
    JOIN coins AS k ON k.source = s.source AND k.coin_id = s.coin_id
    WHERE k.newer_than IS NOT NULL
      AND (s.observed_at > k.newer_than
           OR NOT EXISTS (SELECT FROM quotes_history AS h
                          WHERE h.listing_id = k.listing_id AND h.observed_at = s.observed_at))
    RETURNING 1
), checked AS (
    INSERT INTO quotes_history (
        listing_id, source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, percent_change_1h,
        percent_change_7d, ath_price_usd, ath_at, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, run_id)
    SELECT k.listing_id, s.source, s.coin_id, s.observed_at, k.asset_id, s.symbol, s.name, s.rank, s.price_usd,
           s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.circulating_supply, s.total_supply,
           s.max_supply, s.percent_change_1h, s.percent_change_7d, s.ath_price_usd, s.ath_at,
           s.fully_diluted_valuation_usd, s.high_24h_usd, s.low_24h_usd, $1
    FROM stage_quotes AS s
    JOIN coins AS k ON k.source = s.source AND k.coin_id = s.coin_id
    WHERE k.newer_than IS NULL
    ON CONFLICT (listing_id, observed_at) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM plain) + (SELECT count(*) FROM checked)
