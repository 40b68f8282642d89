-- Rejected records newest first: optional source $1 and run $2, ids below $3, at most $4 rows.
SELECT id, run_id, source, reason, location, raw, created_at AS rejected_at
FROM etl_rejects
WHERE ($1::text IS NULL OR source = $1)
  AND ($2::bigint IS NULL OR run_id = $2)
  AND id < $3
ORDER BY id DESC
LIMIT $4
