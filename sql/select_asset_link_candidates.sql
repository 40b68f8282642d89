-- Ambiguous pairs for operators, by symbol: $1 symbol or null for all, $2 limit, $3 offset.
SELECT symbol, source_a, coin_a, source_b, coin_b, verdict, score, note, reason, decided_at
FROM asset_link_candidates
WHERE $1::text IS NULL OR symbol = $1
ORDER BY symbol, source_a, coin_a, source_b, coin_b
LIMIT $2 OFFSET $3
