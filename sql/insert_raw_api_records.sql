-- Moves staged raw API records of run $1 into raw_api_records; a record already stored (same hash) is skipped.
-- Returns the number stored.
WITH stored AS (
    INSERT INTO raw_api_records (source, run_id, fetched_at, coin_id, content_hash, payload)
    SELECT source, $1, fetched_at, coin_id, content_hash, payload FROM stage_raw_api
    ON CONFLICT (source, content_hash) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM stored
