-- Whether source $1 had a run started less than $2 seconds ago (by any replica).
SELECT EXISTS (
    SELECT 1 FROM etl_runs
    WHERE source = $1 AND started_at > clock_timestamp() - make_interval(secs => $2)
)
