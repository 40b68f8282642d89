-- Closes run $1 with status $2 and error $3, recording its final counts.
UPDATE etl_runs
SET status = $2, error = $3, finished_at = clock_timestamp(),
    rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7, rows_rejected = $8,
    pages_read = $9, bytes_read = $10, drift = $11
WHERE id = $1
