-- Releases the session-level advisory lock of source $1.
SELECT pg_advisory_unlock(hashtext('etl-source'), hashtext($1))
