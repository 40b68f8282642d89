-- Creates the canonical assets first seen in the staged quotes (matched on match_key).
-- The distinct coins are found first (a hash over the batch), so only those few rows are sorted.
INSERT INTO assets (symbol, name, match_key)
SELECT DISTINCT ON (match_key) symbol, name, match_key
FROM (SELECT DISTINCT match_key, symbol, name FROM stage_quotes) AS coins
ORDER BY match_key
ON CONFLICT (match_key) DO NOTHING
