-- Where source coins' history is missing: each maximal run of $4-second buckets (aligned to the Unix epoch, as
-- /candles aligns them) holding no observation, with its first bucket's start, the end of its last bucket and
-- how many buckets it spans; in (start, source, coin_id) order, at most $7 rows. The coins: those with history
-- under symbol $1 (null: any), of source $2 (null: any), among coin ids $3 (null: any). The buckets: from the
-- one holding $5 (null: the coin's first observation) to the last one starting before $6.
-- Each coin's observations in range are read once in key order (one primary-key range scan per monthly
-- partition); a gap is where two consecutive observations' buckets are more than one bucket apart, and a mark
-- before the first bucket and one after the last make the leading and trailing gaps show the same way.
WITH stride AS (
    SELECT make_interval(secs => $4) AS step
), listings AS (
    SELECT m.id AS listing_id, m.source, m.coin_id
    FROM asset_sources AS m
    WHERE ($1::text IS NULL OR m.id IN (SELECT listing_id FROM history_symbols WHERE symbol = $1))
      AND ($2::text IS NULL OR m.source = $2)
      AND ($3::text[] IS NULL OR m.coin_id = ANY ($3::text[]))
), ranges AS (
    SELECT l.listing_id, l.source, l.coin_id, s.step,
           date_bin(s.step, coalesce($5::timestamptz, f.first_at), timestamptz 'epoch') AS lo,
           date_bin(s.step, $6::timestamptz - interval '1 microsecond', timestamptz 'epoch') + s.step AS hi
    FROM listings AS l
    CROSS JOIN stride AS s
    CROSS JOIN LATERAL (SELECT min(h.observed_at) AS first_at FROM quotes_history AS h
                        WHERE h.listing_id = l.listing_id) AS f
    WHERE coalesce($5::timestamptz, f.first_at) < $6::timestamptz
), marks AS (
    SELECT r.listing_id, r.source, r.coin_id, r.step, r.lo - r.step AS bucket FROM ranges AS r
    UNION ALL
    SELECT r.listing_id, r.source, r.coin_id, r.step, r.hi FROM ranges AS r
    UNION ALL
    SELECT r.listing_id, r.source, r.coin_id, r.step, date_bin(r.step, h.observed_at, timestamptz 'epoch')
    FROM ranges AS r
    JOIN quotes_history AS h ON h.listing_id = r.listing_id AND h.observed_at >= r.lo AND h.observed_at < r.hi
), steps AS (
    SELECT source, coin_id, step, bucket, lead(bucket) OVER (PARTITION BY listing_id ORDER BY bucket) AS next
    FROM marks
)
SELECT source, coin_id, bucket + step AS start, next AS "end",
       round(extract(epoch FROM next - bucket) / $4)::bigint - 1 AS missing
FROM steps
WHERE next > bucket + step
ORDER BY start, source, coin_id
LIMIT $7
