-- Records, for /history, under which symbol each staged source coin has observations (a staged quote the history
-- already held may add a pair with no rows: harmless, /history finds none there).
INSERT INTO history_symbols (symbol, listing_id)
SELECT s.symbol, m.id
FROM (SELECT DISTINCT symbol, source, coin_id FROM stage_quotes) AS s
JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
ON CONFLICT (symbol, listing_id) DO NOTHING
