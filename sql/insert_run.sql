-- Opens a run of source $1, started by trigger $2 on worker $3. Returns its id.
INSERT INTO etl_runs (source, status, trigger, worker)
VALUES ($1, 'running', $2, $3)
RETURNING id
