-- Empties the curated links before the file's are copied in (same transaction); no parameters.
DELETE FROM asset_link_rules
