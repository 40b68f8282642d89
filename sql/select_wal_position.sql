-- On the primary: the end of the WAL inserted so far, which every commit so far lies before (as text, e.g.
-- '0/1A2B3C8'); no parameters. pg_current_wal_insert_lsn() points past the header of a WAL page just begun, where
-- a standby's replay position (the end of the last record it replayed) stops until more WAL comes: an idle
-- primary would look forever ahead of its standbys. So the header of a page (24 bytes) or of a segment's first
-- page (40 bytes) just begun is taken off.
SELECT (p - CASE WHEN (p - '0/0'::pg_lsn) % pg_size_bytes(current_setting('wal_segment_size')) = 40 THEN 40
                 WHEN (p - '0/0'::pg_lsn) % current_setting('wal_block_size')::integer = 24 THEN 24
                 ELSE 0 END)::text
FROM pg_current_wal_insert_lsn() AS p
