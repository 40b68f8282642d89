-- On a standby: has it replayed the primary's WAL up to $1 (a pg_lsn as text)? Data committed before that
-- position is then visible to the queries after this one on the same connection.
SELECT coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false)
