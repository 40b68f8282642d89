-- Adds a quotes_history partition for every month the staged quotes fall in that has none yet, so no insert
-- fails for want of one (a CSV may carry years of history). No parameters; returns how many were added.
SELECT ensure_history_partitions(ARRAY(SELECT DISTINCT date_trunc('month', observed_at, 'UTC') FROM stage_quotes))
