-- Moves the latest state of each staged coin forward to its newest observation (never backward) for run $1.
-- Returns how many coins were new (inserted) and how many moved forward (updated).
-- Each coin's newest time is found first (a hash over the batch), so only the rows at it are sorted; coins whose
-- latest state is as new already are passed over before the upsert (a conflict costs a probe and a lock each).
WITH newest_at AS (
    SELECT t.source, t.coin_id, t.observed_at
    FROM (SELECT source, coin_id, max(observed_at) AS observed_at FROM stage_quotes GROUP BY source, coin_id) AS t
    LEFT JOIN quotes_latest AS l ON l.source = t.source AND l.coin_id = t.coin_id
    WHERE l.observed_at IS NULL OR t.observed_at > l.observed_at
), newest AS (
    SELECT DISTINCT ON (s.source, s.coin_id) s.*
    FROM stage_quotes AS s
    JOIN newest_at AS t ON t.source = s.source AND t.coin_id = s.coin_id AND t.observed_at = s.observed_at
    ORDER BY s.source, s.coin_id
), written AS (
    INSERT INTO quotes_latest AS q (
        source, coin_id, observed_at, asset_id, symbol, name, rank, price_usd, market_cap_usd,
        volume_24h_usd, percent_change_24h, circulating_supply, total_supply, max_supply, percent_change_1h,
        percent_change_7d, ath_price_usd, ath_at, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, run_id)
    SELECT n.source, n.coin_id, n.observed_at, m.asset_id, n.symbol, n.name, n.rank, n.price_usd,
           n.market_cap_usd, n.volume_24h_usd, n.percent_change_24h, n.circulating_supply,
           n.total_supply, n.max_supply, n.percent_change_1h, n.percent_change_7d, n.ath_price_usd, n.ath_at,
           n.fully_diluted_valuation_usd, n.high_24h_usd, n.low_24h_usd, $1
    FROM newest AS n
    JOIN asset_sources AS m ON m.source = n.source AND m.coin_id = n.coin_id
    ON CONFLICT (source, coin_id) DO UPDATE SET
        observed_at = EXCLUDED.observed_at,
        symbol = EXCLUDED.symbol,
        name = EXCLUDED.name,
        rank = EXCLUDED.rank,
        price_usd = EXCLUDED.price_usd,
        market_cap_usd = EXCLUDED.market_cap_usd,
        volume_24h_usd = EXCLUDED.volume_24h_usd,
        percent_change_24h = EXCLUDED.percent_change_24h,
        circulating_supply = EXCLUDED.circulating_supply,
        total_supply = EXCLUDED.total_supply,
        max_supply = EXCLUDED.max_supply,
        percent_change_1h = EXCLUDED.percent_change_1h,
        percent_change_7d = EXCLUDED.percent_change_7d,
        ath_price_usd = EXCLUDED.ath_price_usd,
        ath_at = EXCLUDED.ath_at,
        fully_diluted_valuation_usd = EXCLUDED.fully_diluted_valuation_usd,
        high_24h_usd = EXCLUDED.high_24h_usd,
        low_24h_usd = EXCLUDED.low_24h_usd,
        ingested_at = now(),
        run_id = EXCLUDED.run_id
    WHERE EXCLUDED.observed_at > q.observed_at
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM written
