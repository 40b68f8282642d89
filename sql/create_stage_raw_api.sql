-- Per-connection staging table for one batch of raw API records; emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS stage_raw_api (
    source        text NOT NULL,
    fetched_at    timestamptz NOT NULL,
    coin_id       text NOT NULL,
    content_hash  bytea NOT NULL,
    payload       jsonb NOT NULL
) ON COMMIT DELETE ROWS
