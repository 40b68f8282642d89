-- The initial schema: canonical assets, raw records, normalized quotes (history and latest), ETL bookkeeping.
-- depends:

CREATE TABLE assets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol      text NOT NULL,
    name        text NOT NULL,
    -- upper(symbol) || ':' || slug(name): the matching rule, see README "Assets"
    match_key   text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_symbol_idx ON assets (symbol);

CREATE TABLE asset_sources (
    source    text NOT NULL,
    coin_id   text NOT NULL,
    asset_id  bigint NOT NULL REFERENCES assets (id),
    PRIMARY KEY (source, coin_id)
);
CREATE INDEX asset_sources_asset_idx ON asset_sources (asset_id);

CREATE TABLE etl_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text NOT NULL,
    status          text NOT NULL CHECK (status IN ('running', 'success', 'failed')),
    trigger         text NOT NULL DEFAULT 'schedule',
    worker          text NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    rows_read       bigint NOT NULL DEFAULT 0,
    rows_inserted   bigint NOT NULL DEFAULT 0,
    rows_updated    bigint NOT NULL DEFAULT 0,
    rows_unchanged  bigint NOT NULL DEFAULT 0,
    rows_rejected   bigint NOT NULL DEFAULT 0,
    pages_read      bigint NOT NULL DEFAULT 0,
    bytes_read      bigint NOT NULL DEFAULT 0,
    error           text,
    drift           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX etl_runs_source_idx ON etl_runs (source, id DESC);
CREATE UNIQUE INDEX etl_runs_one_running_idx ON etl_runs (source) WHERE status = 'running';

CREATE TABLE etl_checkpoints (
    source      text NOT NULL,
    stream      text NOT NULL,
    position    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, stream)
);

CREATE TABLE etl_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES etl_runs (id),
    source      text NOT NULL,
    record_ref  text NOT NULL,
    raw         text NOT NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etl_rejects_run_idx ON etl_rejects (run_id);

CREATE TABLE raw_api_records (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        text NOT NULL,
    run_id        bigint NOT NULL REFERENCES etl_runs (id),
    fetched_at    timestamptz NOT NULL,
    coin_id       text NOT NULL,
    content_hash  bytea NOT NULL,
    payload       jsonb NOT NULL,
    UNIQUE (source, content_hash)
);

CREATE TABLE raw_csv_rows (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES etl_runs (id),
    fetched_at    timestamptz NOT NULL,
    file          text NOT NULL,
    line_no       bigint NOT NULL,
    content_hash  bytea NOT NULL UNIQUE,
    fields        text[] NOT NULL
);

CREATE TABLE quotes_history (
    source              text NOT NULL,
    coin_id             text NOT NULL,
    observed_at         timestamptz NOT NULL,
    asset_id            bigint NOT NULL REFERENCES assets (id),
    symbol              text NOT NULL,
    name                text NOT NULL,
    rank                integer,
    price_usd           numeric NOT NULL,
    market_cap_usd      numeric,
    volume_24h_usd      numeric,
    percent_change_24h  numeric,
    circulating_supply  numeric,
    total_supply        numeric,
    max_supply          numeric,
    ingested_at         timestamptz NOT NULL DEFAULT now(),
    run_id              bigint NOT NULL,
    PRIMARY KEY (source, coin_id, observed_at)
);
CREATE INDEX quotes_history_symbol_idx ON quotes_history (symbol, observed_at, source, coin_id);

CREATE TABLE quotes_latest (
    source              text NOT NULL,
    coin_id             text NOT NULL,
    observed_at         timestamptz NOT NULL,
    asset_id            bigint NOT NULL REFERENCES assets (id),
    symbol              text NOT NULL,
    name                text NOT NULL,
    rank                integer,
    price_usd           numeric NOT NULL,
    market_cap_usd      numeric,
    volume_24h_usd      numeric,
    percent_change_24h  numeric,
    circulating_supply  numeric,
    total_supply        numeric,
    max_supply          numeric,
    ingested_at         timestamptz NOT NULL DEFAULT now(),
    run_id              bigint NOT NULL,
    PRIMARY KEY (source, coin_id)
);
CREATE INDEX quotes_latest_symbol_idx ON quotes_latest (symbol);
CREATE INDEX quotes_latest_asset_idx ON quotes_latest (asset_id);
