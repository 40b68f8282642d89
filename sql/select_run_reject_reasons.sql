-- Run $1's rejects counted by reason, most frequent first, at most $2 reasons.
SELECT reason, count(*) AS count
FROM etl_rejects
WHERE run_id = $1
GROUP BY reason
ORDER BY count(*) DESC, reason
LIMIT $2
