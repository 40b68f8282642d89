-- On a standby: whether it is still one (in recovery) and how far it has replayed the primary's WAL; no parameters.
SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS replay_lsn
