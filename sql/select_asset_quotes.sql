-- Every source's latest quote of the assets with symbol $1, grouped by asset.
SELECT asset_id, symbol, name, source, coin_id, rank, price_usd, market_cap_usd, volume_24h_usd,
       percent_change_24h, percent_change_1h, percent_change_7d, ath_price_usd, ath_at,
       fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, observed_at
FROM quotes_latest
WHERE symbol = $1
ORDER BY asset_id, source, coin_id
