-- Empties the ambiguous pairs of the symbols $1 (text[]; null: all) before a link pass writes its own for them.
DELETE FROM asset_link_candidates WHERE $1::text[] IS NULL OR symbol = ANY($1::text[])
