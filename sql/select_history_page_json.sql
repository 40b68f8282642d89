-- One page of symbol $1's observations in (observed_at, source, coin_id) order, after the key ($5, $6, $7):
-- optional source $2, observed_at between $3 and $4 (inclusive), at most $8 rows. Each row comes as the API's
-- JSON object (numerics keep their digits; times as UTC ISO-8601 with Z and microseconds only when there are
-- any, like the service's own JSON) plus its key for the next cursor. Walks quotes_history_symbol_idx.
SELECT row_to_json(r)::text AS json, h.observed_at, h.source, h.coin_id
FROM (
    SELECT symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd,
           percent_change_24h, circulating_supply, total_supply, max_supply, observed_at, ingested_at,
           observed_at AT TIME ZONE 'UTC' AS observed_utc, ingested_at AT TIME ZONE 'UTC' AS ingested_utc
    FROM quotes_history
    WHERE symbol = $1
      AND ($2::text IS NULL OR source = $2)
      AND observed_at >= $3::timestamptz
      AND observed_at <= $4::timestamptz
      AND (observed_at, source, coin_id) > ($5::timestamptz, $6::text, $7::text)
    ORDER BY observed_at, source, coin_id
    LIMIT $8
) h
CROSS JOIN LATERAL (
    SELECT h.symbol, h.name, h.source, h.coin_id, h.asset_id, h.rank, h.price_usd, h.market_cap_usd,
           h.volume_24h_usd, h.percent_change_24h, h.circulating_supply, h.total_supply, h.max_supply,
           to_char(h.observed_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN h.observed_utc = date_trunc('second', h.observed_utc) THEN 'Z'
                       ELSE to_char(h.observed_utc, '.US"Z"') END AS observed_at,
           to_char(h.ingested_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN h.ingested_utc = date_trunc('second', h.ingested_utc) THEN 'Z'
                       ELSE to_char(h.ingested_utc, '.US"Z"') END AS ingested_at
) r
ORDER BY h.observed_at, h.source, h.coin_id
