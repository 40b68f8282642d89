-- Records, for /history, under which symbol each staged source coin has observations (a staged quote the history
-- already held may add a pair with no rows: harmless, /history finds none there). Known pairs are passed over
-- first, as in insert_assets.sql.
INSERT INTO history_symbols (symbol, listing_id)
SELECT DISTINCT s.symbol, m.id
FROM stage_coins AS s
JOIN asset_sources AS m ON m.source = s.source AND m.coin_id = s.coin_id
LEFT JOIN history_symbols AS h ON h.symbol = s.symbol AND h.listing_id = m.id
WHERE h.listing_id IS NULL
ON CONFLICT (symbol, listing_id) DO NOTHING
