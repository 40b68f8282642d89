-- Closes as failed the runs of source $1 left 'running' by a process that died: its backfill runs when $2, its
-- other runs otherwise (the caller holds the matching lock, so no live process owns them). Returns their ids.
UPDATE etl_runs
SET status = 'failed', finished_at = clock_timestamp(),
    error = 'abandoned: the process running it stopped before it finished; resumed from its checkpoint'
WHERE source = $1 AND status = 'running' AND (trigger = 'backfill') = $2::boolean
RETURNING id
