-- Saves several checkpoints of source $1 at once: $2 is a JSON object of stream -> position.
INSERT INTO etl_checkpoints (source, stream, position, updated_at)
SELECT $1, c.key, c.value, now() FROM jsonb_each($2::jsonb) AS c
ON CONFLICT (source, stream) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at
