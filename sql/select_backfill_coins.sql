-- The coins of source $1 in the latest state that a backfill fills: those whose symbol is among $2 (null: all),
-- the first $3 by rank (null: all; unranked ones last), with their names and newest observation.
SELECT coin_id, symbol, name, observed_at
FROM quotes_latest
WHERE source = $1
  AND ($2::text[] IS NULL OR symbol = ANY ($2::text[]))
ORDER BY rank NULLS LAST, coin_id
LIMIT $3
