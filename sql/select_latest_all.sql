-- The whole latest state (one row per source and coin): the snapshot /data pages through.
SELECT symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd,
       percent_change_24h, percent_change_1h, percent_change_7d, circulating_supply, total_supply, max_supply,
       fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, ath_price_usd, ath_at, observed_at, ingested_at
FROM quotes_latest
