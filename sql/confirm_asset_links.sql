-- Confirms in SQL the match key's links nothing puts in doubt, and returns the coins a link pass must decide in
-- Python (due) and the coins whose latest state names another asset than their link (stale: the pass brings them
-- to it). $1 true: every coin is due. Else, among the coins whose latest state run $2 wrote (null: every coin),
-- with $3 true every coin judged before is due (at start-up: a rule changed since decides them again), and:
-- * a coin never judged (judged_at null) is due when its symbol or asset is in doubt: its symbol's coins (and its
--   asset's) are not exactly one asset, one per source, all of one name (case aside), none judged, none named by a
--   curated link, or two of them carry figures that could contradict; else the rule would link them as the match
--   key did, and nothing is written. Checked again at every pass from the coins' latest figures, per symbol in one
--   aggregate (a pairwise comparison only where prices over 1.45x apart were observed more than 2 days apart);
-- * a coin judged before, with company (another coin of its symbol or of its asset), is due when its symbol or
--   name changed or its price or market cap moved by more than 5 % since.
-- The contradictions are figures.py's (prices over 1.5x apart within 2 days, maximum supplies over 10x apart, an
-- earlier observation's all-time high over 3x the later one's), checked here a little wider (1.45x, 9.5x, any
-- all-time high 2.9x the other's): a symbol that might hold one goes to Python, which decides exactly. Set-based
-- (hash joins): a run writes every coin. (asset_link_confirmed, migration 0010, where an earlier pass kept a price
-- band per confirmed coin, is no longer read or written: its writes cost a first run more than this whole check.)
WITH touched AS MATERIALIZED (
    SELECT m.source, m.coin_id, m.asset_id, m.judged_at, l.symbol, l.asset_id <> m.asset_id AS stale,
           m.judged_at IS NOT NULL AND (
               l.symbol IS DISTINCT FROM m.judged_symbol OR l.name IS DISTINCT FROM m.judged_name
               OR abs(ln(l.price_usd::float8 / m.judged_price)) > ln(1.05)
               OR CASE WHEN l.market_cap_usd > 0 AND m.judged_market_cap > 0
                       THEN abs(ln(l.market_cap_usd::float8 / m.judged_market_cap)) > ln(1.05)
                       ELSE (l.market_cap_usd > 0) IS DISTINCT FROM (m.judged_market_cap > 0) END) AS moved
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE $1::boolean OR $2::bigint IS NULL OR l.run_id = $2
), members AS MATERIALIZED (
    -- every coin of the never-judged coins' symbols and assets
    SELECT o.source, o.coin_id, om.asset_id, om.judged_at, o.symbol, o.name COLLATE "C" AS name, o.observed_at,
           o.price_usd, o.max_supply, o.ath_price_usd
    FROM quotes_latest AS o
    JOIN asset_sources AS om ON om.source = o.source AND om.coin_id = o.coin_id
    WHERE NOT $1::boolean
      AND (o.symbol IN (SELECT symbol FROM touched WHERE judged_at IS NULL)
           OR om.asset_id IN (SELECT asset_id FROM touched WHERE judged_at IS NULL))
), symbols AS (
    -- each symbol of two coins or more: what could put it in doubt (a figure no two coins carry says nothing:
    -- null, hence the coalesce); names compared as stored first (twins mostly spell them alike), case aside below;
    -- sources compared below where three coins or more share the symbol
    SELECT symbol, count(*) AS coins,
           coalesce(min(asset_id) <> max(asset_id) OR bool_or(judged_at IS NOT NULL)
           OR count(*) = 2 AND min(source) = max(source)
           OR max(price_usd) > 1.45 * min(price_usd) AND max(observed_at) - min(observed_at) <= interval '172800 s'
           OR max(max_supply) FILTER (WHERE max_supply > 0) > 9.5 * min(max_supply) FILTER (WHERE max_supply > 0)
           OR max(ath_price_usd) FILTER (WHERE ath_price_usd > 0)
              > 2.9 * min(ath_price_usd) FILTER (WHERE ath_price_usd > 0), false) AS doubtful,
           coalesce(max(price_usd) > 1.45 * min(price_usd)
                    AND max(observed_at) - min(observed_at) > interval '172800 s', false) AS prices_apart_in_time,
           min(name) <> max(name) AS spelled_apart
    FROM members
    GROUP BY symbol
    HAVING count(*) > 1
), doubtful_symbols AS (
    SELECT symbol FROM symbols WHERE doubtful
    UNION
    SELECT symbol FROM members WHERE symbol IN (SELECT symbol FROM symbols WHERE spelled_apart AND NOT doubtful)
    GROUP BY symbol HAVING min(lower(name)) <> max(lower(name))
    UNION
    SELECT symbol FROM members WHERE symbol IN (SELECT symbol FROM symbols WHERE coins > 2 AND NOT doubtful)
    GROUP BY symbol, source HAVING count(*) > 1
    UNION
    -- prices over 1.45x apart: in doubt when two such coins were observed within 2 days of each other
    SELECT a.symbol
    FROM members AS a
    JOIN members AS b ON b.symbol = a.symbol AND (b.source, b.coin_id) > (a.source, a.coin_id)
    WHERE a.symbol IN (SELECT symbol FROM symbols WHERE prices_apart_in_time AND NOT doubtful)
      AND abs(extract(epoch FROM a.observed_at - b.observed_at)) <= 172800
      AND greatest(a.price_usd, b.price_usd) > 1.45 * least(a.price_usd, b.price_usd)
    UNION
    SELECT c.symbol FROM members AS c JOIN asset_link_rules AS r ON r.source_a = c.source AND r.coin_a = c.coin_id
    UNION
    SELECT c.symbol FROM members AS c JOIN asset_link_rules AS r ON r.source_b = c.source AND r.coin_b = c.coin_id
), doubtful_assets AS (
    -- an asset whose coins carry two symbols
    SELECT asset_id FROM members GROUP BY asset_id HAVING min(symbol) <> max(symbol)
), due AS (
    SELECT t.source, t.coin_id
    FROM touched AS t
    WHERE $1::boolean
       OR t.judged_at IS NULL AND (t.symbol IN (SELECT symbol FROM doubtful_symbols)
                                   OR t.asset_id IN (SELECT asset_id FROM doubtful_assets))
       OR $3::boolean AND t.judged_at IS NOT NULL
       OR t.moved AND (
           EXISTS (SELECT FROM quotes_latest AS o
                   WHERE o.symbol = t.symbol AND (o.source, o.coin_id) <> (t.source, t.coin_id))
           OR EXISTS (SELECT FROM asset_sources AS o
                      WHERE o.asset_id = t.asset_id AND (o.source, o.coin_id) <> (t.source, t.coin_id)))
)
SELECT t.source, t.coin_id, t.symbol, d.source IS NOT NULL AS due
FROM touched AS t
LEFT JOIN due AS d ON d.source = t.source AND d.coin_id = t.coin_id
WHERE d.source IS NOT NULL OR t.stale
