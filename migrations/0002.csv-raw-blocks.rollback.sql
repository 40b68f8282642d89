-- Undoes 0002.csv-raw-blocks: raw CSV rows per record again (the raw blocks are dropped, not converted).
ALTER TABLE quotes_history ADD CONSTRAINT quotes_history_asset_id_fkey FOREIGN KEY (asset_id) REFERENCES assets (id);

CREATE TABLE raw_csv_rows (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES etl_runs (id),
    fetched_at    timestamptz NOT NULL,
    file          text NOT NULL,
    line_no       bigint NOT NULL,
    content_hash  bytea NOT NULL UNIQUE,
    fields        text[] NOT NULL
);

DROP FUNCTION IF EXISTS etl_py_repr(text);
DROP TABLE IF EXISTS raw_csv_blocks;
