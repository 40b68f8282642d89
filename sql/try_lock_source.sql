-- Takes the session-level advisory lock of source $1 if no other session holds it; true when taken.
SELECT pg_try_advisory_lock(hashtext('etl-source'), hashtext($1))
