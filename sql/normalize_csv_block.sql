-- Normalizes the CSV records COPY read into stage_csv (one block, numbers already parsed by COPY) into
-- stage_quotes, accepting exactly what service/etl/normalize.py accepts, with the same values. Only blocks whose
-- numbers PostgreSQL and Python read alike come here (service/etl/csv/copy_way.py checks the bytes). A record
-- this cannot vouch for (a check failed, text outside printable ASCII) is not staged: normalize.py judges it
-- (sql/select_csv_unstaged_lines.sql finds it by `ord`).
-- Times are judged in Python (normalize.timestamp and its future check), once per distinct spelling: $3 holds the
-- spellings it accepted and $4 their times, in the same order. Coins repeat across a block's records too: each
-- distinct name is checked and slugged once, each distinct (upper-cased symbol, name) made a coin id once (a
-- shuffled file spells a symbol in many cases: keyed on the spelling, its coins were four times as many), and
-- each record joins its coin and time.
-- The planner has no statistics on the temporary table and would count on a single record: the caller turns
-- nested loops off (sql/set_nested_loops.sql) so that each record finds its coin and time in a hash; the
-- subqueries end in OFFSET 0 so that the planner cannot push their work down to every record.
-- $1 source, $2 true when the block is printable ASCII. The command status counts the quotes staged.
WITH names AS (
    -- a CSV has no coin ids: the id is the symbol and the name's slug (normalize.slug)
    SELECT raw_name, name,
           coalesce(nullif(btrim(regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g'), '-'), ''), lower(name)) AS slug
    FROM (SELECT name AS raw_name, btrim(name) AS name
          FROM (SELECT DISTINCT name FROM stage_csv) AS spellings
          WHERE $2::boolean OR name !~ '[^ -~]') AS trimmed
    WHERE name <> '' AND length(name) <= 200
    OFFSET 0
), coins AS (
    SELECT c.symbol_key, c.raw_name, c.symbol_key AS symbol, k.name,
           lower(c.symbol_key) || '-' || k.slug AS coin_id, c.symbol_key || ':' || k.slug AS match_key
    FROM (SELECT DISTINCT upper(btrim(symbol)) AS symbol_key, name AS raw_name
          FROM stage_csv
          WHERE $2::boolean OR symbol !~ '[^ -~]'
          OFFSET 0) AS c
    JOIN names AS k ON k.raw_name = c.raw_name
    WHERE c.symbol_key <> '' AND length(c.symbol_key) <= 64
    OFFSET 0
), times AS (
    SELECT raw, observed_at FROM unnest($3::text[], $4::timestamptz[]) AS t (raw, observed_at)
)
INSERT INTO stage_quotes (
    source, coin_id, observed_at, match_key, symbol, name, rank, price_usd, market_cap_usd, volume_24h_usd,
    percent_change_24h, circulating_supply, total_supply, max_supply, csv_ord)
SELECT $1, k.coin_id, t.observed_at, k.match_key, k.symbol, k.name, r.rank::integer, r.price_usd,
       r.market_cap_usd, r.volume_24h_usd, r.percent_change_24h, r.circulating_supply, r.total_supply,
       r.max_supply, r.ord
FROM stage_csv AS r
JOIN coins AS k ON k.symbol_key = upper(btrim(r.symbol)) AND k.raw_name = r.name
JOIN times AS t ON t.raw = r.last_updated
-- NaN compares above every number and ±Infinity beyond 1e30, so neither passes a range check
WHERE ($2::boolean OR r.symbol !~ '[^ -~]')
  AND r.price_usd > 0 AND r.price_usd < 1e30
  AND (r.rank IS NULL OR r.rank >= 1 AND r.rank <= 2000000000 AND r.rank = trunc(r.rank))
  AND (r.market_cap_usd IS NULL OR r.market_cap_usd >= 0 AND r.market_cap_usd < 1e30)
  AND (r.volume_24h_usd IS NULL OR r.volume_24h_usd >= 0 AND r.volume_24h_usd < 1e30)
  AND (r.percent_change_24h IS NULL OR r.percent_change_24h > -1e30 AND r.percent_change_24h < 1e30)
  AND (r.circulating_supply IS NULL OR r.circulating_supply >= 0 AND r.circulating_supply < 1e30)
  AND (r.total_supply IS NULL OR r.total_supply >= 0 AND r.total_supply < 1e30)
  AND (r.max_supply IS NULL OR r.max_supply >= 0 AND r.max_supply < 1e30)
-- each coin's quotes together: the history insert then meets each coin's index pages once, not at random (a
-- shuffled file: ~3 % of the whole load; a tidy one: no change)
ORDER BY k.coin_id COLLATE "C"
