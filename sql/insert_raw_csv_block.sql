-- Stores one CSV block as read (bytes as received) for run $1: $2 fetched_at, $3 file, $4 byte_start, $5 byte_end,
-- $6 first_line, $7 content_hash, $8 content. A block already stored (same hash) is not stored again.
INSERT INTO raw_csv_blocks (run_id, fetched_at, file, byte_start, byte_end, first_line, content_hash, content)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (content_hash) DO NOTHING
