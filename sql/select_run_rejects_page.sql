-- Run $2's rejected records newest first (optional source $1), ids below $3, at most $4 rows. Its own statement,
-- not an optional filter of select_rejects_page: a prepared statement's generic plan could not use the
-- (run_id, id) index for an optional run_id, and an old run's rejects sit behind every newer one.
SELECT id, run_id, source, reason, location, raw, created_at AS rejected_at
FROM etl_rejects
WHERE run_id = $2
  AND ($1::text IS NULL OR source = $1)
  AND id < $3
ORDER BY id DESC
LIMIT $4
