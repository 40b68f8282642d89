-- Undoes 0010.asset-links: the links themselves (asset_sources.asset_id) stay as the last link pass left them.
DROP TABLE asset_link_confirmed;
DROP TABLE asset_link_candidates;
DROP TABLE asset_link_rules;
ALTER TABLE asset_sources DROP COLUMN judged_at, DROP COLUMN judged_market_cap, DROP COLUMN judged_price,
    DROP COLUMN judged_name, DROP COLUMN judged_symbol, DROP COLUMN link_reason, DROP COLUMN linked_by;
