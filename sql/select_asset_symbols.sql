-- The latest symbols of every coin in the assets $1 (bigint[]): a link pass decides an asset's coins together.
SELECT DISTINCT l.symbol
FROM asset_sources AS m
JOIN quotes_latest AS l ON l.source = m.source AND l.coin_id = m.coin_id
WHERE m.asset_id = ANY($1::bigint[])
