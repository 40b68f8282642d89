-- Rejects say where each refused record was (`location`: CSV `file:line`, the API coin id), and quotes keep the
-- further fields the API sources give: 1 h and 7 d change, all-time high and its time (both sources);
-- fully diluted valuation and the 24 h high and low (CoinGecko). All nullable: CSV rows have none of them.
-- depends: 0003.history-listing-key

ALTER TABLE etl_rejects RENAME COLUMN record_ref TO location;
-- GET /rejects pages newest first, optionally by source or run
CREATE INDEX etl_rejects_source_id_idx ON etl_rejects (source, id);
CREATE INDEX etl_rejects_run_id_idx ON etl_rejects (run_id, id);
DROP INDEX etl_rejects_run_idx;

ALTER TABLE quotes_history
    ADD COLUMN percent_change_1h numeric,
    ADD COLUMN percent_change_7d numeric,
    ADD COLUMN ath_price_usd numeric,
    ADD COLUMN ath_at timestamptz,
    ADD COLUMN fully_diluted_valuation_usd numeric,
    ADD COLUMN high_24h_usd numeric,
    ADD COLUMN low_24h_usd numeric;

ALTER TABLE quotes_latest
    ADD COLUMN percent_change_1h numeric,
    ADD COLUMN percent_change_7d numeric,
    ADD COLUMN ath_price_usd numeric,
    ADD COLUMN ath_at timestamptz,
    ADD COLUMN fully_diluted_valuation_usd numeric,
    ADD COLUMN high_24h_usd numeric,
    ADD COLUMN low_24h_usd numeric;
