-- Whether source $1 had a successful run started less than $2 seconds ago (by any replica). A failed or
-- abandoned run does not count, so a restarted process resumes an interrupted run at once; nor does a backfill,
-- which fills the past and leaves the present to the scheduled runs.
SELECT EXISTS (
    SELECT 1 FROM etl_runs
    WHERE source = $1 AND status = 'success' AND trigger <> 'backfill'
      AND started_at > clock_timestamp() - make_interval(secs => $2)
)
