-- The whole latest state (one row per source and coin): the snapshot /data pages through.
SELECT symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd,
       percent_change_24h, circulating_supply, total_supply, max_supply, observed_at, ingested_at
FROM quotes_latest
