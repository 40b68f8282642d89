-- The quotes_history partitions wholly older than $1 days (their upper bound at or before now() - $1 days),
-- oldest first, with whether a detach of each was begun and not finished (pg_inherits.inhdetachpending).
SELECT p.relname AS name, i.inhdetachpending AS detach_pending, b.upper_bound
FROM pg_inherits AS i
JOIN pg_class AS p ON p.oid = i.inhrelid
CROSS JOIN LATERAL (
    SELECT substring(pg_get_expr(p.relpartbound, p.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
) AS b
WHERE i.inhparent = 'quotes_history'::regclass
  AND b.upper_bound <= now() - make_interval(days => $1::integer)
ORDER BY b.upper_bound
