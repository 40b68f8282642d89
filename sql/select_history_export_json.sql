-- The export's NDJSON lines: every observation with observed_at between $1 and $2 (inclusive), of source $3 and
-- symbol $4 when not null, in (observed_at, source, coin_id) order, each as the JSON object /history serves
-- (select_history_page_json.sql writes the same one). Run as COPY (...) TO STDOUT in CSV format with a delimiter
-- and quote no JSON text holds (control characters are escaped in JSON), so each line is the object as is.
SELECT row_to_json(r)::text AS json
FROM (
    SELECT observed_at AS sort_at, source AS sort_source, coin_id AS sort_coin, symbol, name, source, coin_id,
           asset_id, rank, price_usd, market_cap_usd, volume_24h_usd, percent_change_24h, percent_change_1h,
           percent_change_7d, circulating_supply, total_supply, max_supply, fully_diluted_valuation_usd,
           high_24h_usd, low_24h_usd, ath_price_usd, ath_at AT TIME ZONE 'UTC' AS ath_utc,
           observed_at AT TIME ZONE 'UTC' AS observed_utc, ingested_at AT TIME ZONE 'UTC' AS ingested_utc
    FROM quotes_history
    WHERE observed_at >= $1::timestamptz
      AND observed_at <= $2::timestamptz
      AND ($3::text IS NULL OR source = $3::text)
      AND ($4::text IS NULL OR symbol = $4::text)
) AS h
CROSS JOIN LATERAL (
    SELECT h.symbol, h.name, h.source, h.coin_id, h.asset_id, h.rank, h.price_usd, h.market_cap_usd,
           h.volume_24h_usd, h.percent_change_24h, h.percent_change_1h, h.percent_change_7d,
           h.circulating_supply, h.total_supply, h.max_supply, h.fully_diluted_valuation_usd, h.high_24h_usd,
           h.low_24h_usd, h.ath_price_usd,
           to_char(h.ath_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN h.ath_utc = date_trunc('second', h.ath_utc) THEN 'Z'
                       ELSE to_char(h.ath_utc, '.US"Z"') END AS ath_at,
           to_char(h.observed_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN h.observed_utc = date_trunc('second', h.observed_utc) THEN 'Z'
                       ELSE to_char(h.observed_utc, '.US"Z"') END AS observed_at,
           to_char(h.ingested_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN h.ingested_utc = date_trunc('second', h.ingested_utc) THEN 'Z'
                       ELSE to_char(h.ingested_utc, '.US"Z"') END AS ingested_at
) AS r
ORDER BY h.sort_at, h.sort_source, h.sort_coin
