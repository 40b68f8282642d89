-- Normalizes the CSV records COPY read into stage_csv_typed (one block, numbers already parsed by COPY) into
-- stage_quotes, accepting exactly what service/etl/normalize.py accepts, with the same values. Only blocks
-- whose numbers PostgreSQL and Python read alike come here (no '_', no '0x'/'0o'/'0b', no number over 64
-- characters: service/etl/sources/csv.py checks the bytes). A record this cannot vouch for (a check failed,
-- text outside printable ASCII, a time spelled unusually) is not staged: normalize.py judges it
-- (sql/select_csv_typed_unstaged.sql finds it by `ord`).
-- Names and times repeat across a block's records (a snapshot per hour, a row per coin): each distinct spelling
-- is checked once, and each record joins its checked coin and time.
-- The planner has no statistics on the temporary table and would count on a single record: the caller turns
-- nested loops off (sql/set_nested_loops.sql) so that each record finds its coin and time in a hash, and the
-- checks are columns filtered on above the joins, the coin and time subqueries ending in OFFSET 0 so that the
-- planner cannot push them down to every record.
-- $1 source, $2 true when the block is printable ASCII. The command status counts the quotes staged.
WITH coins AS (
    -- a CSV has no coin ids: the id is the symbol and the name's slug (normalize.slug)
    SELECT raw_symbol, raw_name, symbol, name,
           lower(symbol) || '-' || slug AS coin_id, symbol || ':' || slug AS match_key,
           symbol <> '' AND length(symbol) <= 64 AND name <> '' AND length(name) <= 200
               AND ($2::boolean OR raw_symbol || raw_name !~ '[^ -~]') AS ok
    FROM (SELECT raw_symbol, raw_name, symbol, name,
                 coalesce(nullif(btrim(regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g'), '-'), ''),
                          lower(name)) AS slug
          FROM (SELECT symbol AS raw_symbol, name AS raw_name, upper(btrim(symbol)) AS symbol, btrim(name) AS name
                FROM (SELECT DISTINCT symbol, name FROM stage_csv_typed) AS spellings) AS trimmed) AS slugs
    OFFSET 0
), times AS (
    -- timestamptz input also reads 'yesterday', 'epoch', '2026-01-01T 1:00', '24:00' or leap seconds, and rounds
    -- a 7th fraction digit where Python drops it: only shapes datetime.fromisoformat reads alike pass (the session
    -- time zone is UTC, so a time without a zone is UTC)
    SELECT raw,
           CASE WHEN translate(left(value, 19), '0123456789', '') IN ('--T::', '-- ::')
                     AND substr(value, 12, 2) COLLATE "C" < '24'
                     AND substr(value, 18, 2) COLLATE "C" < '60'
                     AND (substr(value, 20) IN ('', 'Z', '+00:00', '+0000', '+00')
                          OR substr(value, 20) ~ '^\.[0-9]{1,6}(Z|\+00(:?00)?)?$')
                     AND ($2::boolean OR raw !~ '[^ -~]')
                     AND is_valid_timestamptz(value)
                THEN value::timestamptz END AS observed_at
    FROM (SELECT last_updated AS raw, btrim(last_updated) AS value
          FROM (SELECT DISTINCT last_updated FROM stage_csv_typed) AS spellings) AS trimmed
    OFFSET 0
), records AS (
    SELECT s.*,
           -- NaN compares above every number and ±Infinity beyond 1e30, so neither passes a range check
           s.price_usd > 0 AND s.price_usd < 1e30
           AND (s.rank IS NULL OR s.rank >= 1 AND s.rank <= 2000000000 AND s.rank = trunc(s.rank))
           AND (s.market_cap_usd IS NULL OR s.market_cap_usd >= 0 AND s.market_cap_usd < 1e30)
           AND (s.volume_24h_usd IS NULL OR s.volume_24h_usd >= 0 AND s.volume_24h_usd < 1e30)
           AND (s.percent_change_24h IS NULL OR s.percent_change_24h > -1e30 AND s.percent_change_24h < 1e30)
           AND (s.circulating_supply IS NULL OR s.circulating_supply >= 0 AND s.circulating_supply < 1e30)
           AND (s.total_supply IS NULL OR s.total_supply >= 0 AND s.total_supply < 1e30)
           AND (s.max_supply IS NULL OR s.max_supply >= 0 AND s.max_supply < 1e30) AS in_range
    FROM stage_csv_typed AS s
)
INSERT INTO stage_quotes (
    source, coin_id, observed_at, match_key, symbol, name, rank, price_usd, market_cap_usd, volume_24h_usd,
    percent_change_24h, circulating_supply, total_supply, max_supply, csv_ord)
SELECT $1, k.coin_id, t.observed_at, k.match_key, k.symbol, k.name, r.rank::integer, r.price_usd,
       r.market_cap_usd, r.volume_24h_usd, r.percent_change_24h, r.circulating_supply, r.total_supply,
       r.max_supply, r.ord
FROM records AS r
JOIN coins AS k ON k.raw_symbol = r.symbol AND k.raw_name = r.name
JOIN times AS t ON t.raw = r.last_updated
WHERE r.in_range AND k.ok AND t.observed_at IS NOT NULL
