-- The physical lines of the records in stage_csv that sql/normalize_csv_block.sql did not stage, in file
-- order, for normalize.py to judge; $1 is the physical line just before the first record COPY read.
SELECT coalesce(array_agg(s.ord - (SELECT min(ord) FROM stage_csv) + 1 + $1::bigint ORDER BY s.ord),
                '{}'::bigint[]) AS lines
FROM stage_csv AS s
WHERE NOT EXISTS (SELECT FROM stage_quotes AS q WHERE q.csv_ord = s.ord)
