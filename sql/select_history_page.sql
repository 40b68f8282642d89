-- One page of symbol $1's observations in (observed_at, source, coin_id) order, after the key ($5, $6, $7):
-- optional source $2, observed_at between $3 and $4 (inclusive), at most $8 rows. Walks quotes_history_symbol_idx.
SELECT symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd,
       percent_change_24h, circulating_supply, total_supply, max_supply, observed_at, ingested_at
FROM quotes_history
WHERE symbol = $1
  AND ($2::text IS NULL OR source = $2)
  AND observed_at >= $3::timestamptz
  AND observed_at <= $4::timestamptz
  AND (observed_at, source, coin_id) > ($5::timestamptz, $6::text, $7::text)
ORDER BY observed_at, source, coin_id
LIMIT $8
