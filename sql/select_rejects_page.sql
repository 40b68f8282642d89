-- Rejected records newest first: optional source $1, ids below $2, at most $3 rows (a run's: select_run_rejects_page).
SELECT id, run_id, source, reason, location, raw, created_at AS rejected_at
FROM etl_rejects
WHERE ($1::text IS NULL OR source = $1)
  AND id < $2
ORDER BY id DESC
LIMIT $3
