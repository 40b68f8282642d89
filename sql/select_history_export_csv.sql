-- The export's CSV rows: every observation with observed_at between $1 and $2 (inclusive), of source $3 and symbol
-- $4 when not null, in (observed_at, source, coin_id) order. Run as COPY (...) TO STDOUT, asyncpg inlining the
-- parameters: numerics keep their digits; observed_at is UTC ISO-8601 with Z (microseconds only when there are
-- any), as the JSON routes write it.
SELECT to_char(h.observed_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN h.observed_utc = date_trunc('second', h.observed_utc) THEN 'Z'
                   ELSE to_char(h.observed_utc, '.US"Z"') END AS observed_at,
       h.source, h.coin_id, h.symbol, h.name, h.price_usd, h.market_cap_usd, h.volume_24h_usd, h.percent_change_24h
FROM (
    SELECT observed_at, observed_at AT TIME ZONE 'UTC' AS observed_utc, source, coin_id, symbol, name, price_usd,
           market_cap_usd, volume_24h_usd, percent_change_24h
    FROM quotes_history
    WHERE observed_at >= $1::timestamptz
      AND observed_at <= $2::timestamptz
      AND ($3::text IS NULL OR source = $3::text)
      AND ($4::text IS NULL OR symbol = $4::text)
) AS h
ORDER BY h.observed_at, h.source, h.coin_id
