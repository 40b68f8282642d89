-- Saves the position $3 of stream $2 of source $1.
INSERT INTO etl_checkpoints (source, stream, position, updated_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (source, stream) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at
