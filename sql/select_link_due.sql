-- The coins a link pass must decide again, with their symbols: $1 true: every coin; else among the coins whose
-- latest state run $2 wrote (null: any run), those not judged yet, and those with company (another coin of their
-- symbol or of their asset) whose symbol or name changed or whose price or market cap moved by more than 5 %
-- (a circulating supply that moves moves the market cap; the full pass at start-up catches up with the rest).
SELECT t.source, t.coin_id, t.symbol
FROM (
    SELECT m.source, m.coin_id, m.asset_id, l.symbol, m.judged_at,
           m.judged_at IS NULL OR l.symbol IS DISTINCT FROM m.judged_symbol OR l.name IS DISTINCT FROM m.judged_name
           OR abs(ln(l.price_usd::float8 / m.judged_price)) > ln(1.05)
           OR CASE WHEN l.market_cap_usd > 0 AND m.judged_market_cap > 0
                   THEN abs(ln(l.market_cap_usd::float8 / m.judged_market_cap)) > ln(1.05)
                   ELSE (l.market_cap_usd > 0) IS DISTINCT FROM (m.judged_market_cap > 0) END AS moved
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE $1::boolean OR $2::bigint IS NULL OR l.run_id = $2
) AS t
WHERE $1::boolean OR t.judged_at IS NULL
   OR t.moved AND (EXISTS (SELECT FROM quotes_latest AS o
                           WHERE o.symbol = t.symbol AND (o.source, o.coin_id) <> (t.source, t.coin_id))
                   OR EXISTS (SELECT FROM asset_sources AS o
                              WHERE o.asset_id = t.asset_id AND (o.source, o.coin_id) <> (t.source, t.coin_id)))
