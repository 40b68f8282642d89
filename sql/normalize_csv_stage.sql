-- Validates and normalizes the CSV records that COPY staged in stage_csv_text (one block, in file order) exactly
-- as service/etl/normalize.py and the CSV source do: same checks in the same order, same reject reasons.
-- Valid records go to stage_quotes; the others are returned (line, fields in file order, reject reason) for
-- the CSV source to write in file order, with the reason '?' when the verdict needs Python (text outside
-- printable ASCII, unusual number or time spellings): normalize.py judges those.
-- $1 source, $2 physical line just before the first record, $3 true when the block is printable ASCII,
-- $4 true when it holds no '_' nor '0x'/'0o'/'0b' (number spellings only PostgreSQL reads), $5 the file's
-- columns in order, as 1-based indexes into (the 11 named columns, x01..x32).
-- Returns the number of quotes staged, and the lines, fields and reasons of the other records.
WITH parsed AS MATERIALIZED (
    -- each value trimmed and parsed once (OFFSET 0 keeps the planner from inlining it into every use)
    SELECT p.*,
           coalesce(p.ascii
              AND symbol <> '' AND length(symbol) <= 64 AND name <> '' AND length(name) <= 200
              AND to_char(observed_at, 'YYYY-MM-DD HH24:MI:SS') = overlay(left(last_updated, 19) PLACING ' ' FROM 11)
              AND (rank IS NULL OR rank = '' OR n_rank >= 1 AND n_rank <= 2000000000 AND n_rank = trunc(n_rank))
                  AND n_price_usd > 0 AND n_price_usd < 1e30
                  AND (market_cap_usd IS NULL OR market_cap_usd = '' OR n_market_cap_usd >= 0 AND n_market_cap_usd < 1e30)
                  AND (volume_24h_usd IS NULL OR volume_24h_usd = '' OR n_volume_24h_usd >= 0 AND n_volume_24h_usd < 1e30)
                  AND (percent_change_24h IS NULL OR percent_change_24h = '' OR abs(n_percent_change_24h) < 1e30)
                  AND (circulating_supply IS NULL OR circulating_supply = '' OR n_circulating_supply >= 0 AND n_circulating_supply < 1e30)
                  AND (total_supply IS NULL OR total_supply = '' OR n_total_supply >= 0 AND n_total_supply < 1e30)
                  AND (max_supply IS NULL OR max_supply = '' OR n_max_supply >= 0 AND n_max_supply < 1e30), false) AS ok
    FROM (SELECT t.*,
                  -- timestamptz input also reads 'yesterday', 'epoch', '2026-01-01T 1:00', '24:00' or leap
                  -- seconds: only UTC times in a shape datetime.fromisoformat reads alike pass, and (above) only
                  -- when they read back as written; the session time zone is UTC, so a time without a zone is UTC
                  CASE WHEN (last_updated LIKE '____-__-__T__:__:__%' OR last_updated LIKE '____-__-__ __:__:__%')
                            AND substr(last_updated, 20) IN ('', 'Z', '+00:00', '+0000', '+00')
                            AND is_valid_timestamptz(last_updated)
                       THEN last_updated::timestamptz END AS observed_at,
                  CASE WHEN ($4::boolean OR strpos(rank, '_') = 0 AND rank !~* '0[xob]') AND length(rank) <= 64
                            AND is_valid_numeric(rank)
                       THEN rank::numeric
                  END AS n_rank,
                  CASE WHEN ($4::boolean OR strpos(price_usd, '_') = 0 AND price_usd !~* '0[xob]') AND length(price_usd) <= 64
                            AND is_valid_numeric(price_usd)
                       THEN price_usd::numeric
                  END AS n_price_usd,
                  CASE WHEN ($4::boolean OR strpos(market_cap_usd, '_') = 0 AND market_cap_usd !~* '0[xob]') AND length(market_cap_usd) <= 64
                            AND is_valid_numeric(market_cap_usd)
                       THEN market_cap_usd::numeric
                  END AS n_market_cap_usd,
                  CASE WHEN ($4::boolean OR strpos(volume_24h_usd, '_') = 0 AND volume_24h_usd !~* '0[xob]') AND length(volume_24h_usd) <= 64
                            AND is_valid_numeric(volume_24h_usd)
                       THEN volume_24h_usd::numeric
                  END AS n_volume_24h_usd,
                  CASE WHEN ($4::boolean OR strpos(percent_change_24h, '_') = 0 AND percent_change_24h !~* '0[xob]') AND length(percent_change_24h) <= 64
                            AND is_valid_numeric(percent_change_24h)
                       THEN percent_change_24h::numeric
                  END AS n_percent_change_24h,
                  CASE WHEN ($4::boolean OR strpos(circulating_supply, '_') = 0 AND circulating_supply !~* '0[xob]') AND length(circulating_supply) <= 64
                            AND is_valid_numeric(circulating_supply)
                       THEN circulating_supply::numeric
                  END AS n_circulating_supply,
                  CASE WHEN ($4::boolean OR strpos(total_supply, '_') = 0 AND total_supply !~* '0[xob]') AND length(total_supply) <= 64
                            AND is_valid_numeric(total_supply)
                       THEN total_supply::numeric
                  END AS n_total_supply,
                  CASE WHEN ($4::boolean OR strpos(max_supply, '_') = 0 AND max_supply !~* '0[xob]') AND length(max_supply) <= 64
                            AND is_valid_numeric(max_supply)
                       THEN max_supply::numeric
                  END AS n_max_supply
          FROM (SELECT ord,
                       $3::boolean OR concat(s.symbol, s.name, s.price_usd, s.last_updated, s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.rank, s.circulating_supply, s.total_supply, s.max_supply) !~ '[^ -~]' AS ascii,
                       upper(btrim(symbol)) AS symbol,
                       btrim(name) AS name,
                       btrim(last_updated) AS last_updated,
                       btrim(rank) AS rank,
                       btrim(price_usd) AS price_usd,
                       btrim(market_cap_usd) AS market_cap_usd,
                       btrim(volume_24h_usd) AS volume_24h_usd,
                       btrim(percent_change_24h) AS percent_change_24h,
                       btrim(circulating_supply) AS circulating_supply,
                       btrim(total_supply) AS total_supply,
                       btrim(max_supply) AS max_supply
                FROM stage_csv_text AS s
                OFFSET 0) AS t
          OFFSET 0) AS p
), coins AS (
    -- a CSV has no coin ids: the id is the symbol and the name's slug (normalize.slug), worked out once per coin
    SELECT symbol, name, lower(symbol) || '-' || slug AS coin_id, symbol || ':' || slug AS match_key
    FROM (SELECT symbol, name,
                 coalesce(nullif(btrim(regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g'), '-'), ''),
                          lower(name)) AS slug
          FROM (SELECT DISTINCT symbol, coalesce(nullif(name, ''), symbol) AS name
                FROM parsed WHERE ok) AS distinct_coins) AS slugs
), good AS (
    INSERT INTO stage_quotes (
        source, coin_id, observed_at, match_key, symbol, name, rank, price_usd, market_cap_usd, volume_24h_usd,
        percent_change_24h, circulating_supply, total_supply, max_supply)
    SELECT $1, k.coin_id, p.observed_at, k.match_key, k.symbol, k.name, p.n_rank::integer, p.n_price_usd,
           p.n_market_cap_usd, p.n_volume_24h_usd, p.n_percent_change_24h, p.n_circulating_supply,
           p.n_total_supply, p.n_max_supply
    FROM parsed AS p
    JOIN coins AS k ON k.symbol = p.symbol AND k.name = coalesce(nullif(p.name, ''), p.symbol)
    WHERE p.ok
    RETURNING 1
), checked AS MATERIALIZED (
    -- the records that failed a check above: why, in normalize.py's order and words; '?' leaves them to Python
    SELECT s.ord - (SELECT min(ord) FROM stage_csv_text) + 1 + $2::bigint AS line,
           ARRAY(SELECT (ARRAY[s.symbol, s.name, s.price_usd, s.last_updated, s.market_cap_usd, s.volume_24h_usd, s.percent_change_24h, s.rank, s.circulating_supply, s.total_supply, s.max_supply, s.x01, s.x02, s.x03, s.x04, s.x05, s.x06, s.x07, s.x08, s.x09, s.x10, s.x11, s.x12, s.x13, s.x14, s.x15, s.x16, s.x17, s.x18, s.x19, s.x20, s.x21, s.x22, s.x23, s.x24, s.x25, s.x26, s.x27, s.x28, s.x29, s.x30, s.x31, s.x32])[i] FROM unnest($5::int[]) WITH ORDINALITY AS o(i, n) ORDER BY n) AS f,
           CASE WHEN p.ascii THEN COALESCE(
             CASE WHEN p.symbol = '' THEN 'symbol is empty'
                  WHEN length(p.symbol) > 64
                      THEN 'symbol is longer than 64 characters: ' || etl_py_repr(left(p.symbol, 20)) || '...' END,
             CASE WHEN p.name = '' THEN 'name is empty'
                  WHEN length(p.name) > 200
                      THEN 'name is longer than 200 characters: ' || etl_py_repr(left(p.name, 20)) || '...' END,
             CASE WHEN p.last_updated = '' THEN 'last_updated is missing'
                  WHEN to_char(p.observed_at, 'YYYY-MM-DD HH24:MI:SS')
                       = overlay(left(p.last_updated, 19) PLACING ' ' FROM 11) THEN NULL
                  WHEN p.last_updated !~ '[0-9]'
                      THEN 'last_updated is not an ISO-8601 time: ' || etl_py_repr(left(p.last_updated, 40))
                  ELSE '?' END,
             CASE WHEN p.rank IS NULL OR p.rank = '' THEN NULL
                  WHEN length(p.rank) > 64 THEN 'rank is not a number: ' || etl_py_repr(left(p.rank, 20)) || '... (' || length(p.rank) || ' characters)'
                  WHEN p.rank ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'rank is not finite: ' || s.rank
                  WHEN p.rank ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.rank, '0123456789.eE+-', '') <> ''
                      THEN 'rank is not a number: ' || etl_py_repr(p.rank)
                  WHEN p.n_rank IS NULL THEN '?'
                  WHEN abs(p.n_rank) >= 1e30 THEN 'rank is out of range: ' || s.rank
                  WHEN p.n_rank < 0 THEN 'rank is negative: ' || s.rank
                  WHEN p.n_rank <> trunc(p.n_rank) OR p.n_rank < 1 OR p.n_rank > 2000000000
                      THEN 'rank is not a positive whole number: ' || s.rank
             END,
             CASE WHEN p.price_usd IS NULL OR p.price_usd = '' THEN 'price_usd is missing'
                  WHEN length(p.price_usd) > 64 THEN 'price_usd is not a number: ' || etl_py_repr(left(p.price_usd, 20)) || '... (' || length(p.price_usd) || ' characters)'
                  WHEN p.price_usd ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'price_usd is not finite: ' || s.price_usd
                  WHEN p.price_usd ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.price_usd, '0123456789.eE+-', '') <> ''
                      THEN 'price_usd is not a number: ' || etl_py_repr(p.price_usd)
                  WHEN p.n_price_usd IS NULL THEN '?'
                  WHEN abs(p.n_price_usd) >= 1e30 THEN 'price_usd is out of range: ' || s.price_usd
                  WHEN p.n_price_usd < 0 THEN 'price_usd is negative: ' || s.price_usd
                  WHEN p.n_price_usd = 0 THEN 'price_usd is zero'
             END,
             CASE WHEN p.market_cap_usd IS NULL OR p.market_cap_usd = '' THEN NULL
                  WHEN length(p.market_cap_usd) > 64 THEN 'market_cap_usd is not a number: ' || etl_py_repr(left(p.market_cap_usd, 20)) || '... (' || length(p.market_cap_usd) || ' characters)'
                  WHEN p.market_cap_usd ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'market_cap_usd is not finite: ' || s.market_cap_usd
                  WHEN p.market_cap_usd ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.market_cap_usd, '0123456789.eE+-', '') <> ''
                      THEN 'market_cap_usd is not a number: ' || etl_py_repr(p.market_cap_usd)
                  WHEN p.n_market_cap_usd IS NULL THEN '?'
                  WHEN abs(p.n_market_cap_usd) >= 1e30 THEN 'market_cap_usd is out of range: ' || s.market_cap_usd
                  WHEN p.n_market_cap_usd < 0 THEN 'market_cap_usd is negative: ' || s.market_cap_usd
             END,
             CASE WHEN p.volume_24h_usd IS NULL OR p.volume_24h_usd = '' THEN NULL
                  WHEN length(p.volume_24h_usd) > 64 THEN 'volume_24h_usd is not a number: ' || etl_py_repr(left(p.volume_24h_usd, 20)) || '... (' || length(p.volume_24h_usd) || ' characters)'
                  WHEN p.volume_24h_usd ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'volume_24h_usd is not finite: ' || s.volume_24h_usd
                  WHEN p.volume_24h_usd ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.volume_24h_usd, '0123456789.eE+-', '') <> ''
                      THEN 'volume_24h_usd is not a number: ' || etl_py_repr(p.volume_24h_usd)
                  WHEN p.n_volume_24h_usd IS NULL THEN '?'
                  WHEN abs(p.n_volume_24h_usd) >= 1e30 THEN 'volume_24h_usd is out of range: ' || s.volume_24h_usd
                  WHEN p.n_volume_24h_usd < 0 THEN 'volume_24h_usd is negative: ' || s.volume_24h_usd
             END,
             CASE WHEN p.percent_change_24h IS NULL OR p.percent_change_24h = '' THEN NULL
                  WHEN length(p.percent_change_24h) > 64 THEN 'percent_change_24h is not a number: ' || etl_py_repr(left(p.percent_change_24h, 20)) || '... (' || length(p.percent_change_24h) || ' characters)'
                  WHEN p.percent_change_24h ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'percent_change_24h is not finite: ' || s.percent_change_24h
                  WHEN p.percent_change_24h ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.percent_change_24h, '0123456789.eE+-', '') <> ''
                      THEN 'percent_change_24h is not a number: ' || etl_py_repr(p.percent_change_24h)
                  WHEN p.n_percent_change_24h IS NULL THEN '?'
                  WHEN abs(p.n_percent_change_24h) >= 1e30 THEN 'percent_change_24h is out of range: ' || s.percent_change_24h
             END,
             CASE WHEN p.circulating_supply IS NULL OR p.circulating_supply = '' THEN NULL
                  WHEN length(p.circulating_supply) > 64 THEN 'circulating_supply is not a number: ' || etl_py_repr(left(p.circulating_supply, 20)) || '... (' || length(p.circulating_supply) || ' characters)'
                  WHEN p.circulating_supply ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'circulating_supply is not finite: ' || s.circulating_supply
                  WHEN p.circulating_supply ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.circulating_supply, '0123456789.eE+-', '') <> ''
                      THEN 'circulating_supply is not a number: ' || etl_py_repr(p.circulating_supply)
                  WHEN p.n_circulating_supply IS NULL THEN '?'
                  WHEN abs(p.n_circulating_supply) >= 1e30 THEN 'circulating_supply is out of range: ' || s.circulating_supply
                  WHEN p.n_circulating_supply < 0 THEN 'circulating_supply is negative: ' || s.circulating_supply
             END,
             CASE WHEN p.total_supply IS NULL OR p.total_supply = '' THEN NULL
                  WHEN length(p.total_supply) > 64 THEN 'total_supply is not a number: ' || etl_py_repr(left(p.total_supply, 20)) || '... (' || length(p.total_supply) || ' characters)'
                  WHEN p.total_supply ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'total_supply is not finite: ' || s.total_supply
                  WHEN p.total_supply ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.total_supply, '0123456789.eE+-', '') <> ''
                      THEN 'total_supply is not a number: ' || etl_py_repr(p.total_supply)
                  WHEN p.n_total_supply IS NULL THEN '?'
                  WHEN abs(p.n_total_supply) >= 1e30 THEN 'total_supply is out of range: ' || s.total_supply
                  WHEN p.n_total_supply < 0 THEN 'total_supply is negative: ' || s.total_supply
             END,
             CASE WHEN p.max_supply IS NULL OR p.max_supply = '' THEN NULL
                  WHEN length(p.max_supply) > 64 THEN 'max_supply is not a number: ' || etl_py_repr(left(p.max_supply, 20)) || '... (' || length(p.max_supply) || ' characters)'
                  WHEN p.max_supply ~* '^[+-]?(inf|infinity|s?nan[0-9]*)$' THEN 'max_supply is not finite: ' || s.max_supply
                  WHEN p.max_supply ~* '_|0[xob]' THEN '?'
                  WHEN translate(p.max_supply, '0123456789.eE+-', '') <> ''
                      THEN 'max_supply is not a number: ' || etl_py_repr(p.max_supply)
                  WHEN p.n_max_supply IS NULL THEN '?'
                  WHEN abs(p.n_max_supply) >= 1e30 THEN 'max_supply is out of range: ' || s.max_supply
                  WHEN p.n_max_supply < 0 THEN 'max_supply is negative: ' || s.max_supply
             END,
             '?') ELSE '?' END AS reason
    FROM parsed AS p
    JOIN stage_csv_text AS s ON s.ord = p.ord
    WHERE NOT p.ok
)
SELECT (SELECT count(*) FROM good) AS staged,
       array_agg(line ORDER BY line) AS lines,
       array_agg(f ORDER BY line) AS fields,
       array_agg(reason ORDER BY line) AS reasons
FROM checked
