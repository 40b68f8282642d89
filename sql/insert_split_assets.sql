-- Assets for coins a link pass takes out of their asset: $1 symbols, $2 names, $3 keys ('@source:coin_id', never a
-- match key, so ingestion never links a new coin to one). Returns each key's id (the one made before, if any).
INSERT INTO assets (symbol, name, match_key)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (match_key) DO UPDATE SET name = EXCLUDED.name
RETURNING id, match_key
