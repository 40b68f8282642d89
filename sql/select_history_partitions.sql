-- Every quotes_history partition with its range (no parameters), oldest first.
SELECT p.relname AS name, b.lower_bound, b.upper_bound
FROM pg_inherits AS i
JOIN pg_class AS p ON p.oid = i.inhrelid
CROSS JOIN LATERAL (
    SELECT substring(pg_get_expr(p.relpartbound, p.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz AS lower_bound,
           substring(pg_get_expr(p.relpartbound, p.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
) AS b
WHERE i.inhparent = 'quotes_history'::regclass
ORDER BY b.lower_bound
