-- Undoes 0001.initial-schema.
DROP TABLE IF EXISTS quotes_latest;
DROP TABLE IF EXISTS quotes_history;
DROP TABLE IF EXISTS raw_csv_rows;
DROP TABLE IF EXISTS raw_api_records;
DROP TABLE IF EXISTS etl_rejects;
DROP TABLE IF EXISTS etl_checkpoints;
DROP TABLE IF EXISTS etl_runs;
DROP TABLE IF EXISTS asset_sources;
DROP TABLE IF EXISTS assets;
