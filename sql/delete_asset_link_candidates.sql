-- Empties the ambiguous pairs before a link pass writes its own (same transaction); no parameters.
DELETE FROM asset_link_candidates
