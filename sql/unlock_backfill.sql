-- Releases the advisory lock of source $1's backfill taken by try_lock_backfill.sql.
SELECT pg_advisory_unlock(hashtext('etl-backfill'), hashtext($1))
