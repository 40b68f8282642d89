-- One page of symbol $1's observations in (observed_at, source, coin_id) order, after the key ($5, $6, $7):
-- optional source $2, observed_at between $3 and $4 (inclusive), at most $8 rows. Each row comes as the API's
-- JSON object (numerics keep their digits; times as UTC ISO-8601 with Z and microseconds only when there are
-- any, like the service's own JSON) plus its key for the next cursor.
-- The symbol's source coins come from history_symbols; each coin's rows are read by primary key. Work is
-- bounded by the page, not coins x page: every coin is probed for its next rows_per_coin rows (about 2 x $8 in
-- all), and the page ends at `upto`: the $8-th earliest probed time (at least $8 rows lie at or before it), or
-- sooner, where a coin's probe ran out (past that, that coin's rows are unread), so no coin is read beyond its
-- probe. `cut` (on every row) says the page stopped at such a coin: it may be short and still have a next page.
WITH coins AS (
    SELECT l.listing_id
    FROM history_symbols AS l
    JOIN asset_sources AS m ON m.id = l.listing_id
    WHERE l.symbol = $1
      AND ($2::text IS NULL OR m.source = $2)
),
depth AS (
    SELECT greatest(1, ceil(2.0 * $8 / greatest(count(*), 1)))::int AS rows_per_coin FROM coins
),
probed AS (
    SELECT c.listing_id, p.observed_at
    FROM coins AS c
    CROSS JOIN LATERAL (
        SELECT observed_at
        FROM quotes_history
        WHERE listing_id = c.listing_id
          AND symbol = $1
          AND observed_at >= greatest($3::timestamptz, $5::timestamptz)
          AND observed_at <= $4::timestamptz
          AND (observed_at, source, coin_id) > ($5::timestamptz, $6::text, $7::text)
        ORDER BY observed_at
        LIMIT (SELECT rows_per_coin FROM depth)
    ) AS p
),
probe_ends AS (
    -- coins whose probe was full: they may have more rows after their last probed one
    SELECT max(observed_at) AS last_probed
    FROM probed
    GROUP BY listing_id
    HAVING count(*) = (SELECT rows_per_coin FROM depth)
),
bound AS (
    SELECT coalesce(least((SELECT observed_at FROM probed ORDER BY observed_at OFFSET $8 - 1 LIMIT 1),
                          (SELECT min(last_probed) FROM probe_ends)),
                    $4::timestamptz) AS upto,
           EXISTS (SELECT FROM probe_ends) AS cut
)
SELECT row_to_json(r)::text AS json, h.observed_at, h.source, h.coin_id, (SELECT cut FROM bound) AS cut
FROM (
    SELECT q.*
    FROM coins AS c
    CROSS JOIN LATERAL (
        SELECT symbol, name, source, coin_id, asset_id, rank, price_usd, market_cap_usd, volume_24h_usd,
               percent_change_24h, percent_change_1h, percent_change_7d, circulating_supply, total_supply,
               max_supply, fully_diluted_valuation_usd, high_24h_usd, low_24h_usd, ath_price_usd, observed_at,
               ingested_at, ath_at AT TIME ZONE 'UTC' AS ath_utc,
               observed_at AT TIME ZONE 'UTC' AS observed_utc, ingested_at AT TIME ZONE 'UTC' AS ingested_utc
        FROM quotes_history
        WHERE listing_id = c.listing_id
          AND symbol = $1
          AND observed_at >= greatest($3::timestamptz, $5::timestamptz)
          AND observed_at <= (SELECT upto FROM bound)
          AND (observed_at, source, coin_id) > ($5::timestamptz, $6::text, $7::text)
        ORDER BY observed_at
        LIMIT $8
    ) AS q
    ORDER BY q.observed_at, q.source, q.coin_id
    LIMIT $8
) h
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
) r
ORDER BY h.observed_at, h.source, h.coin_id
