-- One run by id $1, with its duration in seconds (null while running).
SELECT id, source, status, trigger, started_at, finished_at,
       extract(epoch FROM finished_at - started_at)::float8 AS duration_seconds,
       rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, pages_read, bytes_read,
       error, drift, progress
FROM etl_runs
WHERE id = $1
