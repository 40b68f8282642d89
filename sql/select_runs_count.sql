-- How many runs match optional source $1, status $2 and trigger $3 (page mode's total_records).
SELECT count(*)
FROM etl_runs
WHERE ($1::text IS NULL OR source = $1)
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR trigger = $3)
