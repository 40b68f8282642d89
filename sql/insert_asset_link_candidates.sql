-- The ambiguous pairs a link pass found: $1 symbols, $2 sources a, $3 coins a, $4 sources b, $5 coins b, $6 verdicts,
-- $7 scores, $8 notes, $9 reasons (parallel arrays).
INSERT INTO asset_link_candidates (symbol, source_a, coin_a, source_b, coin_b, verdict, score, note, reason)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[],
                     $8::text[], $9::text[])
