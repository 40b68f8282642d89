-- Moves staged raw CSV rows of run $1 into raw_csv_rows; a row already stored (same hash) is skipped.
-- Returns the number stored.
WITH stored AS (
    INSERT INTO raw_csv_rows (run_id, fetched_at, file, line_no, content_hash, fields)
    SELECT $1, fetched_at, file, line_no, content_hash, fields FROM stage_raw_csv
    ON CONFLICT (content_hash) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM stored
