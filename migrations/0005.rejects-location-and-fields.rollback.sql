-- Undoes 0005.rejects-location-and-fields.
ALTER TABLE quotes_latest
    DROP COLUMN IF EXISTS percent_change_1h,
    DROP COLUMN IF EXISTS percent_change_7d,
    DROP COLUMN IF EXISTS ath_price_usd,
    DROP COLUMN IF EXISTS ath_at,
    DROP COLUMN IF EXISTS fully_diluted_valuation_usd,
    DROP COLUMN IF EXISTS high_24h_usd,
    DROP COLUMN IF EXISTS low_24h_usd;

ALTER TABLE quotes_history
    DROP COLUMN IF EXISTS percent_change_1h,
    DROP COLUMN IF EXISTS percent_change_7d,
    DROP COLUMN IF EXISTS ath_price_usd,
    DROP COLUMN IF EXISTS ath_at,
    DROP COLUMN IF EXISTS fully_diluted_valuation_usd,
    DROP COLUMN IF EXISTS high_24h_usd,
    DROP COLUMN IF EXISTS low_24h_usd;

CREATE INDEX etl_rejects_run_idx ON etl_rejects (run_id);
DROP INDEX IF EXISTS etl_rejects_run_id_idx;
DROP INDEX IF EXISTS etl_rejects_source_id_idx;
ALTER TABLE etl_rejects RENAME COLUMN location TO record_ref;
