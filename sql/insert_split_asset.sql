-- An asset for a coin the link pass takes out of its asset: $1 symbol, $2 name, $3 key ('@source:coin_id', never a
-- match key, so ingestion never links a new coin to it). Returns its id (the one already made for that key, if any).
INSERT INTO assets (symbol, name, match_key) VALUES ($1, $2, $3)
ON CONFLICT (match_key) DO UPDATE SET name = EXCLUDED.name
RETURNING id
