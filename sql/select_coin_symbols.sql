-- The latest symbol of each coin named by $1 sources and $2 coin ids (parallel arrays): where curated links reach.
SELECT l.source, l.coin_id, l.symbol
FROM unnest($1::text[], $2::text[]) AS c (source, coin_id)
JOIN quotes_latest AS l ON l.source = c.source AND l.coin_id = c.coin_id
