-- How many rows each data table holds: assets, history, latest state, rejects and raw records.
SELECT (SELECT count(*) FROM assets) AS assets,
       (SELECT count(*) FROM quotes_history) AS history_rows,
       (SELECT count(*) FROM quotes_latest) AS latest_rows,
       (SELECT count(*) FROM etl_rejects) AS rejects,
       (SELECT count(*) FROM raw_api_records) + (SELECT count(*) FROM raw_csv_blocks) AS raw_records
