-- The curated links (copied from ASSET_LINKS_PATH at start-up); no parameters.
SELECT kind, source_a, coin_a, source_b, coin_b, origin FROM asset_link_rules ORDER BY origin, source_a, coin_a
