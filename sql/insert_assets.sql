-- Creates the canonical assets first seen in the staged quotes (matched on match_key).
INSERT INTO assets (symbol, name, match_key)
SELECT DISTINCT ON (match_key) symbol, name, match_key
FROM stage_quotes
ORDER BY match_key
ON CONFLICT (match_key) DO NOTHING
