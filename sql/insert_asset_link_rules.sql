-- Copies the curated links file's rules: $1 kinds, $2 sources a, $3 coins a, $4 sources b, $5 coins b, $6 file:line.
INSERT INTO asset_link_rules (kind, source_a, coin_a, source_b, coin_b, origin)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
ON CONFLICT DO NOTHING
