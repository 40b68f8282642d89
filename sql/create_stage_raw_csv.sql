-- Per-connection staging table for one batch of raw CSV rows; emptied at each commit.
CREATE TEMP TABLE IF NOT EXISTS stage_raw_csv (
    fetched_at    timestamptz NOT NULL,
    file          text NOT NULL,
    line_no       bigint NOT NULL,
    content_hash  bytea NOT NULL,
    fields        text[] NOT NULL
) ON COMMIT DELETE ROWS
