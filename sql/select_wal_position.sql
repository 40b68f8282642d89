-- On the primary: the WAL position every commit made so far lies within (as text, e.g. '0/1A2B3C8'); no parameters.
SELECT pg_current_wal_insert_lsn()::text
