-- Runs newest first: optional source $1, status $2 and trigger $6, ids below $3, at most $4 rows after skipping
-- $5.
SELECT id, source, status, trigger, started_at, finished_at,
       extract(epoch FROM finished_at - started_at)::float8 AS duration_seconds,
       rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, pages_read, bytes_read,
       error, drift, progress
FROM etl_runs
WHERE ($1::text IS NULL OR source = $1)
  AND ($2::text IS NULL OR status = $2)
  AND ($6::text IS NULL OR trigger = $6)
  AND id < $3
ORDER BY id DESC
LIMIT $4 OFFSET $5
