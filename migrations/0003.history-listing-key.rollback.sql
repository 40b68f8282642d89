-- Undoes 0003.history-listing-key.
DROP TABLE IF EXISTS history_symbols;
DROP STATISTICS IF EXISTS quotes_history_listing_symbol;
ALTER TABLE quotes_history DROP CONSTRAINT quotes_history_pkey;
ALTER TABLE quotes_history ADD CONSTRAINT quotes_history_pkey PRIMARY KEY (source, coin_id, observed_at);
CREATE INDEX quotes_history_symbol_idx ON quotes_history (symbol, observed_at, source, coin_id);
ALTER TABLE quotes_history DROP COLUMN listing_id;
ALTER TABLE asset_sources DROP COLUMN id;
