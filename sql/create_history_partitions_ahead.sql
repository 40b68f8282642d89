-- Adds quotes_history partitions for this month and the $1 months after it, where missing; returns how many.
SELECT ensure_history_partitions(ARRAY(
    SELECT now() + make_interval(months => n) FROM generate_series(0, $1::integer) AS n))
