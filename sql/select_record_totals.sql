-- How many rows each data table holds. Assets and the latest state (a row per coin) are counted; history,
-- rejects and raw records are counted while small (under 8 MB of heap each, a few ms) and beyond that read
-- from PostgreSQL's statistics (pg_class.reltuples, summed over partitions), so /stats costs the same at any
-- size; `estimated` is true when any of the three is an estimate. No parameters.
WITH sizes AS (
    SELECT t.name, sum(pg_relation_size(c.oid)) < 8 * 1024 * 1024 AS small,
           sum(greatest(c.reltuples, 0))::bigint AS estimate
    FROM (VALUES ('quotes_history'), ('etl_rejects'), ('raw_api_records'), ('raw_csv_blocks')) AS t (name)
    JOIN pg_class AS c
      ON c.oid = t.name::regclass
      OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = t.name::regclass)
    GROUP BY t.name
), small AS (
    SELECT bool_and(small) FILTER (WHERE name = 'quotes_history') AS history,
           bool_and(small) FILTER (WHERE name = 'etl_rejects') AS rejects,
           bool_and(small) FILTER (WHERE name IN ('raw_api_records', 'raw_csv_blocks')) AS raw,
           sum(estimate) FILTER (WHERE name = 'quotes_history') AS history_estimate,
           sum(estimate) FILTER (WHERE name = 'etl_rejects') AS rejects_estimate,
           sum(estimate) FILTER (WHERE name IN ('raw_api_records', 'raw_csv_blocks')) AS raw_estimate
    FROM sizes
)
SELECT (SELECT count(*) FROM assets) AS assets,
       CASE WHEN s.history THEN (SELECT count(*) FROM quotes_history) ELSE s.history_estimate END AS history_rows,
       (SELECT count(*) FROM quotes_latest) AS latest_rows,
       CASE WHEN s.rejects THEN (SELECT count(*) FROM etl_rejects) ELSE s.rejects_estimate END AS rejects,
       CASE WHEN s.raw THEN (SELECT count(*) FROM raw_api_records) + (SELECT count(*) FROM raw_csv_blocks)
            ELSE s.raw_estimate END::bigint AS raw_records,
       NOT (s.history AND s.rejects AND s.raw) AS estimated
FROM small AS s
