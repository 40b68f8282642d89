-- Every source's latest quote of the assets with symbol $1, grouped by asset, with why each coin is in its asset
-- (the link's asset: the latest state's own asset_id follows it after each link pass).
SELECT coalesce(m.asset_id, l.asset_id) AS asset_id, l.symbol, l.name, l.source, l.coin_id, l.rank, l.price_usd,
       l.market_cap_usd, l.volume_24h_usd, l.percent_change_24h, l.percent_change_1h, l.percent_change_7d,
       l.ath_price_usd, l.ath_at, l.fully_diluted_valuation_usd, l.high_24h_usd, l.low_24h_usd, l.observed_at,
       m.linked_by, m.link_reason
FROM quotes_latest AS l
LEFT JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
WHERE l.symbol = $1
ORDER BY 1, l.source, l.coin_id
