-- Undoes 0011.backfill-runs: one running run per source again (a running backfill is closed first).
UPDATE etl_runs SET status = 'failed', finished_at = clock_timestamp(), error = 'closed by a migration rollback'
WHERE status = 'running' AND trigger = 'backfill';
DROP INDEX etl_runs_one_running_idx;
CREATE UNIQUE INDEX etl_runs_one_running_idx ON etl_runs (source) WHERE status = 'running';
ALTER TABLE etl_runs DROP COLUMN progress;
