-- Every source coin with its current link and the figures its latest state carries, for a link pass; no parameters.
SELECT m.source, m.coin_id, m.asset_id, m.linked_by, m.link_reason, l.symbol, l.name, l.observed_at, l.rank, l.price_usd,
       l.market_cap_usd, l.circulating_supply, l.total_supply, l.max_supply, l.ath_price_usd, l.ath_at
FROM asset_sources AS m
JOIN quotes_latest AS l ON l.source = m.source AND l.coin_id = m.coin_id
