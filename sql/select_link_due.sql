-- The coins a link pass must decide in Python, with their symbols: $1 true: every coin. Else, among the coins whose
-- latest state run $2 wrote (null: every coin):
-- * a coin never judged (judged_at null) unless its symbol's coins are exactly its asset's, one per source, all of
--   one name (case aside), none named by a curated link, none judged, and no figure contradicts between it and
--   them (the rule would link them, as the match key did: nothing to write);
-- * a coin judged before, with company (another coin of its symbol or of its asset), whose symbol or name changed
--   or whose price or market cap moved by more than 5 % since.
-- The contradictions are figures.py's: prices over 1.5x apart within 2 days, maximum supplies over 10x apart, an
-- earlier observation's all-time high over 3x the later one's.
WITH touched AS (
    SELECT m.source, m.coin_id, m.asset_id, m.judged_at, l.symbol, l.name, l.observed_at, l.price_usd,
           l.max_supply, l.ath_price_usd, l.ath_at,
           l.symbol IS DISTINCT FROM m.judged_symbol OR l.name IS DISTINCT FROM m.judged_name
           OR abs(ln(l.price_usd::float8 / m.judged_price)) > ln(1.05)
           OR CASE WHEN l.market_cap_usd > 0 AND m.judged_market_cap > 0
                   THEN abs(ln(l.market_cap_usd::float8 / m.judged_market_cap)) > ln(1.05)
                   ELSE (l.market_cap_usd > 0) IS DISTINCT FROM (m.judged_market_cap > 0) END AS moved
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE $1::boolean OR $2::bigint IS NULL OR l.run_id = $2
)
SELECT t.source, t.coin_id, t.symbol
FROM touched AS t
WHERE $1::boolean
   OR t.judged_at IS NULL AND (
       EXISTS (SELECT FROM quotes_latest AS o
               JOIN asset_sources AS om ON om.source = o.source AND om.coin_id = o.coin_id
               WHERE o.symbol = t.symbol AND (o.source, o.coin_id) <> (t.source, t.coin_id)
                 AND (om.asset_id <> t.asset_id OR o.source = t.source OR lower(o.name) <> lower(t.name)
                      OR om.judged_at IS NOT NULL
                      OR abs(extract(epoch FROM o.observed_at - t.observed_at)) <= 172800
                         AND greatest(o.price_usd, t.price_usd) > 1.5 * least(o.price_usd, t.price_usd)
                      OR o.max_supply > 0 AND t.max_supply > 0
                         AND greatest(o.max_supply, t.max_supply) > 10 * least(o.max_supply, t.max_supply)
                      OR o.ath_price_usd > 0 AND t.ath_price_usd > 0 AND o.ath_at IS NOT NULL
                         AND t.ath_at IS NOT NULL
                         AND CASE WHEN t.observed_at <= o.observed_at THEN t.ath_price_usd > 3 * o.ath_price_usd
                                  ELSE o.ath_price_usd > 3 * t.ath_price_usd END))
       OR EXISTS (SELECT FROM asset_sources AS om
                  JOIN quotes_latest AS o ON o.source = om.source AND o.coin_id = om.coin_id
                  WHERE om.asset_id = t.asset_id AND o.symbol <> t.symbol)
       OR EXISTS (SELECT FROM asset_link_rules AS r
                  WHERE (r.source_a = t.source AND r.coin_a = t.coin_id)
                     OR (r.source_b = t.source AND r.coin_b = t.coin_id)))
   OR t.judged_at IS NOT NULL AND t.moved AND (
       EXISTS (SELECT FROM quotes_latest AS o
               WHERE o.symbol = t.symbol AND (o.source, o.coin_id) <> (t.source, t.coin_id))
       OR EXISTS (SELECT FROM asset_sources AS o
                  WHERE o.asset_id = t.asset_id AND (o.source, o.coin_id) <> (t.source, t.coin_id)))
