-- Links each source's coin id, first seen in the staged coins, to its canonical asset (known links passed over
-- first, as in insert_assets.sql).
INSERT INTO asset_sources (source, coin_id, asset_id)
SELECT DISTINCT ON (s.source, s.coin_id) s.source, s.coin_id, a.id
FROM stage_coins AS s
JOIN assets AS a ON a.match_key = s.match_key
LEFT JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
WHERE m.id IS NULL
ORDER BY s.source, s.coin_id
ON CONFLICT (source, coin_id) DO NOTHING
