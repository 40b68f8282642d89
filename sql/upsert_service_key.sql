-- The service key named $1: the stored one, or $2 stored and returned when there is none yet. Empty when another
-- process stored one at the same moment (not visible to this statement): the caller asks again.
WITH stored AS (
    INSERT INTO service_keys (name, value) VALUES ($1, $2)
    ON CONFLICT (name) DO NOTHING
    RETURNING value
)
SELECT value FROM stored
UNION ALL
SELECT value FROM service_keys WHERE name = $1
LIMIT 1
