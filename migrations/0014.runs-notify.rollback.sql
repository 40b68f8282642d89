-- Undoes 0014.runs-notify: /health then hears of runs only through its one-second reuse limit.
DROP TRIGGER IF EXISTS etl_runs_changed ON etl_runs;
DROP FUNCTION IF EXISTS notify_runs_changed();
