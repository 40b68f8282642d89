-- The distinct spellings of last_updated among the records in stage_csv, for Python to judge once each.
SELECT coalesce(array_agg(DISTINCT last_updated) FILTER (WHERE last_updated IS NOT NULL), '{}'::text[])
FROM stage_csv
