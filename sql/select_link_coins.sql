-- The source coins a link pass decides, with their current link and the figures their latest state carries (as
-- float8 and epoch seconds: the rule compares ratios, and a pass reads thousands of rows), and the observation
-- time as stored: every coin when $1 is null, else the coins whose latest symbol is in $1.
SELECT m.source, m.coin_id, m.asset_id, m.linked_by, m.link_reason, l.symbol, l.name, l.observed_at,
       extract(epoch FROM l.observed_at)::float8 AS observed_epoch, l.rank, l.price_usd::float8 AS price_usd,
       l.market_cap_usd::float8 AS market_cap_usd, l.circulating_supply::float8 AS circulating_supply,
       l.total_supply::float8 AS total_supply, l.max_supply::float8 AS max_supply,
       l.ath_price_usd::float8 AS ath_price_usd, extract(epoch FROM l.ath_at)::float8 AS ath_at
FROM asset_sources AS m
JOIN quotes_latest AS l ON l.source = m.source AND l.coin_id = m.coin_id
WHERE $1::text[] IS NULL OR l.symbol = ANY($1::text[])
