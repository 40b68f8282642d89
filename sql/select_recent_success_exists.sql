-- Whether source $1 had a successful run started less than $2 seconds ago (by any replica). A failed or
-- abandoned run does not count, so a restarted process resumes an interrupted run at once.
SELECT EXISTS (
    SELECT 1 FROM etl_runs
    WHERE source = $1 AND status = 'success' AND started_at > clock_timestamp() - make_interval(secs => $2)
)
