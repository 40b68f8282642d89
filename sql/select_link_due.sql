-- The coins a link pass must decide in Python, with their symbols: $1 true: every coin. Else, among the coins whose
-- latest state run $2 wrote (null: every coin):
-- * a coin never judged (judged_at null) unless its symbol's coins are exactly its asset's, one per source, all of
--   one name (case aside), none named by a curated link, none judged, and no figure contradicts between two of
--   them (the rule would link them, as the match key did: nothing to write);
-- * a coin judged before, with company (another coin of its symbol or of its asset), whose symbol or name changed
--   or whose price or market cap moved by more than 5 % since.
-- The contradictions are figures.py's (prices over 1.5x apart within 2 days, maximum supplies over 10x apart, an
-- earlier observation's all-time high over 3x the later one's), checked here a little wider (1.45x, 9.5x, any
-- all-time high 2.9x the other's): a pair that might hold one goes to Python, which decides exactly. Set-based
-- (hash joins): a run writes every coin.
WITH touched AS (
    SELECT m.source, m.coin_id, m.asset_id, m.judged_at, l.symbol,
           l.symbol IS DISTINCT FROM m.judged_symbol OR l.name IS DISTINCT FROM m.judged_name
           OR abs(ln(l.price_usd::float8 / m.judged_price)) > ln(1.05)
           OR CASE WHEN l.market_cap_usd > 0 AND m.judged_market_cap > 0
                   THEN abs(ln(l.market_cap_usd::float8 / m.judged_market_cap)) > ln(1.05)
                   ELSE (l.market_cap_usd > 0) IS DISTINCT FROM (m.judged_market_cap > 0) END AS moved
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE $1::boolean OR $2::bigint IS NULL OR l.run_id = $2
), fresh AS MATERIALIZED (
    SELECT * FROM touched WHERE judged_at IS NULL AND NOT $1::boolean
), members AS MATERIALIZED (
    -- every coin of the fresh coins' symbols and assets
    SELECT o.source, o.coin_id, om.asset_id, om.judged_at, o.symbol, lower(o.name) AS name, o.observed_at,
           o.price_usd, o.max_supply, o.ath_price_usd, o.ath_at
    FROM quotes_latest AS o
    JOIN asset_sources AS om ON om.source = o.source AND om.coin_id = o.coin_id
    WHERE o.symbol IN (SELECT symbol FROM fresh) OR om.asset_id IN (SELECT asset_id FROM fresh)
), doubtful_symbols AS (
    -- two coins of one symbol: in two assets, of one source, of two names, judged, or contradicting
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
