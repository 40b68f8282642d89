-- GET /health answers from a check at most a second old, and drops it the moment anything it reads changes:
-- the latest state (quotes_changed, sent by the ETL) or the runs. Runs are written by the ETL of any replica, by
-- backfills and by operators' scripts, so a trigger, not the ETL, tells: one notification per statement.
-- depends: 0012.quote-changes
CREATE FUNCTION notify_runs_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('runs_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER etl_runs_changed AFTER INSERT OR UPDATE OR DELETE ON etl_runs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_runs_changed();
