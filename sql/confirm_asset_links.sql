-- Confirms in SQL the match key's links nothing puts in doubt, and returns the coins a link pass must decide in
-- Python, with their symbols. $1 true: every coin goes to Python. Else, among the coins whose latest state run $2
-- wrote (null: every coin):
-- * a coin never judged (judged_at null) and not confirmed before (asset_link_confirmed, or what that rested on
--   changed: symbol, name, asset, maximum supply, all-time high, or its price left the band) goes to Python unless
--   its symbol's coins are exactly its asset's, one per source, all of one name (case aside), none named by a
--   curated link, none judged, and no figure could contradict between two of them; then they are confirmed (the
--   rule would link them as the match key did: nothing else is written), with a price band around their prices
--   in which any two prices are within 1.45x;
-- * a coin judged before, with company (another coin of its symbol or of its asset), goes to Python when its
--   symbol or name changed or its price or market cap moved by more than 5 % since.
-- The contradictions are figures.py's (prices over 1.5x apart within 2 days, maximum supplies over 10x apart, an
-- earlier observation's all-time high over 3x the later one's), checked here a little wider (1.45x, 9.5x, any
-- all-time high 2.9x the other's): a pair that might hold one goes to Python, which decides exactly. Set-based
-- (hash joins): a run writes every coin.
WITH touched AS (
    SELECT m.source, m.coin_id, m.asset_id, m.judged_at, l.symbol, lower(l.name) AS name, l.max_supply,
           l.ath_price_usd, l.price_usd::float8 AS price,
           l.symbol IS DISTINCT FROM m.judged_symbol OR l.name IS DISTINCT FROM m.judged_name
           OR abs(ln(l.price_usd::float8 / m.judged_price)) > ln(1.05)
           OR CASE WHEN l.market_cap_usd > 0 AND m.judged_market_cap > 0
                   THEN abs(ln(l.market_cap_usd::float8 / m.judged_market_cap)) > ln(1.05)
                   ELSE (l.market_cap_usd > 0) IS DISTINCT FROM (m.judged_market_cap > 0) END AS moved
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE $1::boolean OR $2::bigint IS NULL OR l.run_id = $2
), fresh AS MATERIALIZED (
    SELECT t.* FROM touched AS t
    LEFT JOIN asset_link_confirmed AS k ON k.source = t.source AND k.coin_id = t.coin_id
    WHERE t.judged_at IS NULL AND NOT $1::boolean
      AND (k.source IS NULL OR k.symbol <> t.symbol OR k.name <> t.name OR k.asset_id <> t.asset_id
           OR k.max_supply IS DISTINCT FROM t.max_supply OR k.ath_price IS DISTINCT FROM t.ath_price_usd
           OR t.price < k.price_low OR t.price > k.price_high)
), members AS MATERIALIZED (
    -- every coin of the fresh coins' symbols and assets
    SELECT o.source, o.coin_id, om.asset_id, om.judged_at, o.symbol, lower(o.name) AS name, o.observed_at,
           o.price_usd, o.max_supply, o.ath_price_usd
    FROM quotes_latest AS o
    JOIN asset_sources AS om ON om.source = o.source AND om.coin_id = o.coin_id
    WHERE o.symbol IN (SELECT symbol FROM fresh) OR om.asset_id IN (SELECT asset_id FROM fresh)
), doubtful_symbols AS (
    -- two coins of one symbol: in two assets, of one source, of two names, judged, or maybe contradicting
    SELECT a.symbol
    FROM members AS a
    JOIN members AS b ON b.symbol = a.symbol AND (b.source, b.coin_id) > (a.source, a.coin_id)
    WHERE a.asset_id <> b.asset_id OR a.source = b.source OR a.name <> b.name
       OR a.judged_at IS NOT NULL OR b.judged_at IS NOT NULL
       OR abs(extract(epoch FROM a.observed_at - b.observed_at)) <= 172800
          AND greatest(a.price_usd, b.price_usd) > 1.45 * least(a.price_usd, b.price_usd)
       OR a.max_supply > 0 AND b.max_supply > 0
          AND greatest(a.max_supply, b.max_supply) > 9.5 * least(a.max_supply, b.max_supply)
       OR a.ath_price_usd > 0 AND b.ath_price_usd > 0
          AND greatest(a.ath_price_usd, b.ath_price_usd) > 2.9 * least(a.ath_price_usd, b.ath_price_usd)
    UNION
    SELECT c.symbol FROM members AS c JOIN asset_link_rules AS r ON r.source_a = c.source AND r.coin_a = c.coin_id
    UNION
    SELECT c.symbol FROM members AS c JOIN asset_link_rules AS r ON r.source_b = c.source AND r.coin_b = c.coin_id
), doubtful_assets AS (
    -- an asset whose coins carry two symbols
    SELECT a.asset_id
    FROM members AS a
    JOIN members AS b ON b.asset_id = a.asset_id AND b.symbol <> a.symbol
), bands AS (
    -- around the geometric middle of the symbol's prices, 1.45x wide: prices that stay in it stay within 1.45x
    SELECT symbol, sqrt(min(price_usd::float8) * max(price_usd::float8)) AS middle
    FROM members
    WHERE symbol NOT IN (SELECT symbol FROM doubtful_symbols)
      AND asset_id NOT IN (SELECT asset_id FROM doubtful_assets)
    GROUP BY symbol
), confirmed AS (
    INSERT INTO asset_link_confirmed AS k (source, coin_id, symbol, name, asset_id, max_supply, ath_price,
                                           price_low, price_high)
    SELECT c.source, c.coin_id, c.symbol, c.name, c.asset_id, c.max_supply, c.ath_price_usd,
           b.middle / sqrt(1.45), b.middle * sqrt(1.45)
    FROM members AS c
    JOIN bands AS b ON b.symbol = c.symbol
    WHERE c.judged_at IS NULL
    ON CONFLICT (source, coin_id) DO UPDATE SET
        symbol = EXCLUDED.symbol, name = EXCLUDED.name, asset_id = EXCLUDED.asset_id,
        max_supply = EXCLUDED.max_supply, ath_price = EXCLUDED.ath_price, price_low = EXCLUDED.price_low,
        price_high = EXCLUDED.price_high
)
SELECT t.source, t.coin_id, t.symbol
FROM touched AS t
WHERE $1::boolean
   OR t.judged_at IS NULL AND (t.symbol IN (SELECT symbol FROM doubtful_symbols)
                               OR t.asset_id IN (SELECT asset_id FROM doubtful_assets))
   OR t.judged_at IS NOT NULL AND t.moved AND (
       EXISTS (SELECT FROM quotes_latest AS o
               WHERE o.symbol = t.symbol AND (o.source, o.coin_id) <> (t.source, t.coin_id))
       OR EXISTS (SELECT FROM asset_sources AS o
                  WHERE o.asset_id = t.asset_id AND (o.source, o.coin_id) <> (t.source, t.coin_id)))
