-- Backfill runs (trigger 'backfill') beside the scheduled ones: a source may have one live run and one backfill
-- running at once (the backfill never holds up a scheduled run), and a backfill records its progress (coins done
-- and left, points stored) as it goes.
-- depends: 0009.partition-lock-parent-only
ALTER TABLE etl_runs ADD COLUMN progress jsonb;
DROP INDEX etl_runs_one_running_idx;
CREATE UNIQUE INDEX etl_runs_one_running_idx ON etl_runs (source, (trigger = 'backfill')) WHERE status = 'running';
