-- Creates the canonical assets first seen in the staged coins (matched on match_key). Known ones are passed over
-- in a hash join before the insert: most batches bring only known coins, and a conflict costs an index probe and
-- an aborted insertion each.
INSERT INTO assets (symbol, name, match_key)
SELECT DISTINCT ON (s.match_key) s.symbol, s.name, s.match_key
FROM stage_coins AS s
LEFT JOIN assets AS a ON a.match_key = s.match_key
WHERE a.id IS NULL
ORDER BY s.match_key
ON CONFLICT (match_key) DO NOTHING
