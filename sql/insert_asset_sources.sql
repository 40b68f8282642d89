-- Links each source's coin id, first seen in the staged quotes, to its canonical asset.
-- The distinct coins are found first (a hash over the batch), so only those few rows are sorted.
INSERT INTO asset_sources (source, coin_id, asset_id)
SELECT DISTINCT ON (s.source, s.coin_id) s.source, s.coin_id, a.id
FROM (SELECT DISTINCT source, coin_id, match_key FROM stage_quotes) AS s
JOIN assets AS a ON a.match_key = s.match_key
ORDER BY s.source, s.coin_id
ON CONFLICT (source, coin_id) DO NOTHING
