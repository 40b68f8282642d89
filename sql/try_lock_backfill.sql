-- Takes the session-level advisory lock of source $1's backfill if no other session holds it; true when taken.
-- A key of its own, not the source's (try_lock_source.sql): a backfill never keeps a scheduled run waiting.
SELECT pg_try_advisory_lock(hashtext('etl-backfill'), hashtext($1))
