-- One page of symbol $1's OHLC candles of $3 seconds, in (bucket_start, source, coin_id) order: optional source
-- $2; buckets whose start lies between $4 and $5 (inclusive), each with all its observations; after the key
-- ($6, $7, $8); at most $9 rows. Buckets start at whole multiples of $3 seconds from the Unix epoch (date_bin with
-- a stride in seconds, never in days, so the session's time zone cannot bend them). Each row is the API's JSON
-- object (prices keep their digits) plus its key for the next cursor.
-- The work is bounded by $9, never by the length of the history: for each source coin of the symbol a recursive
-- walk jumps from bucket to bucket with one primary-key probe each (the first observation at or after the next
-- bucket's start: its price is the bucket's open), at most $9 buckets; only the page's buckets are then finished,
-- each by one key range scan (high, low, count) and one backward probe (close). No aggregate sorts: ordered
-- aggregates (array_agg ... ORDER BY) cost a sort per bucket, 5 times the rest (measured on 1d buckets).
WITH RECURSIVE
stride AS (
    SELECT make_interval(secs => $3) AS step
),
listings AS (
    SELECT l.listing_id, m.source, m.coin_id,
           -- the first bucket the page may hold: not before `from` (rounded up to a bucket start), after the cursor
           greatest(date_bin(s.step, $4::timestamptz + s.step - interval '1 microsecond', timestamptz 'epoch'),
                    CASE WHEN (m.source, m.coin_id) > ($7::text, $8::text) THEN $6::timestamptz
                         ELSE $6::timestamptz + s.step END) AS scan_start,
           -- whole buckets: the last one starting at or before `to` ends one step after its start
           date_bin(s.step, $5::timestamptz, timestamptz 'epoch') + s.step AS scan_end,
           s.step
    FROM history_symbols AS l
    JOIN asset_sources AS m ON m.id = l.listing_id
    CROSS JOIN stride AS s
    WHERE l.symbol = $1
      AND ($2::text IS NULL OR m.source = $2)
),
buckets AS (
    SELECT l.listing_id, l.scan_end, l.step, f.bucket_start, f.open, 1 AS n
    FROM listings AS l
    CROSS JOIN LATERAL (
        SELECT date_bin(l.step, h.observed_at, timestamptz 'epoch') AS bucket_start, h.price_usd AS open
        FROM quotes_history AS h
        WHERE h.listing_id = l.listing_id AND h.symbol = $1
          AND h.observed_at >= l.scan_start AND h.observed_at < l.scan_end
        ORDER BY h.observed_at
        LIMIT 1
    ) AS f
    UNION ALL
    SELECT b.listing_id, b.scan_end, b.step, f.bucket_start, f.open, b.n + 1
    FROM buckets AS b
    CROSS JOIN LATERAL (
        SELECT date_bin(b.step, h.observed_at, timestamptz 'epoch') AS bucket_start, h.price_usd AS open
        FROM quotes_history AS h
        WHERE h.listing_id = b.listing_id AND h.symbol = $1
          AND h.observed_at >= b.bucket_start + b.step AND h.observed_at < b.scan_end
        ORDER BY h.observed_at
        LIMIT 1
    ) AS f
    WHERE b.n < $9
),
page AS (
    SELECT b.listing_id, b.bucket_start, b.step, b.open, l.source, l.coin_id
    FROM buckets AS b
    JOIN listings AS l ON l.listing_id = b.listing_id
    ORDER BY b.bucket_start, l.source, l.coin_id
    LIMIT $9
)
SELECT json_build_object(
           'bucket_start', to_char(p.bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'source', p.source, 'coin_id', p.coin_id,
           'open', p.open, 'high', c.high, 'low', c.low, 'close', last.close,
           'observations', c.observations)::text AS json,
       p.bucket_start, p.source, p.coin_id
FROM page AS p
CROSS JOIN LATERAL (
    SELECT max(h.price_usd) AS high, min(h.price_usd) AS low, count(*) AS observations
    FROM quotes_history AS h
    WHERE h.listing_id = p.listing_id AND h.symbol = $1
      AND h.observed_at >= p.bucket_start AND h.observed_at < p.bucket_start + p.step
) AS c
CROSS JOIN LATERAL (
    -- observed_at is unique per source coin (the primary key), so first and last are never a tie
    SELECT h.price_usd AS close
    FROM quotes_history AS h
    WHERE h.listing_id = p.listing_id AND h.symbol = $1
      AND h.observed_at >= p.bucket_start AND h.observed_at < p.bucket_start + p.step
    ORDER BY h.observed_at DESC
    LIMIT 1
) AS last
ORDER BY p.bucket_start, p.source, p.coin_id
