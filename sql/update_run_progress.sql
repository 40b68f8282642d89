-- Records the counts of run $1 so far.
UPDATE etl_runs
SET rows_read = $2, rows_inserted = $3, rows_updated = $4, rows_unchanged = $5, rows_rejected = $6,
    pages_read = $7, bytes_read = $8, drift = $9
WHERE id = $1
