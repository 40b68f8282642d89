-- Raw CSV kept as the blocks read (bytes as received, one row per block) instead of one row per record.
-- depends: 0001.initial-schema

CREATE TABLE raw_csv_blocks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES etl_runs (id),
    fetched_at    timestamptz NOT NULL,
    file          text NOT NULL,
    byte_start    bigint NOT NULL,
    byte_end      bigint NOT NULL,
    -- physical line of the file just before the block's first byte (0 at the start of the file)
    first_line    bigint NOT NULL,
    content_hash  bytea NOT NULL UNIQUE,
    content       bytea NOT NULL
);
-- CSV text of quotes compresses poorly for the CPU it costs on every ingest; keep it out of line, uncompressed.
ALTER TABLE raw_csv_blocks ALTER COLUMN content SET STORAGE EXTERNAL;

DROP TABLE raw_csv_rows;

-- Python's repr() of printable-ASCII text, so reject reasons written by sql/normalize_csv_stage.sql read exactly
-- like those of service/etl/normalize.py (which formats values with !r).
CREATE FUNCTION etl_py_repr(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
-- chr(92) is the backslash, spelled so that no migration reader takes it for a string escape
RETURN CASE WHEN strpos(value, '''') > 0 AND strpos(value, '"') = 0
            THEN '"' || replace(value, chr(92), chr(92) || chr(92)) || '"'
            ELSE '''' || replace(replace(value, chr(92), chr(92) || chr(92)), '''', chr(92) || '''') || '''' END;

-- Every history row gets its asset_id from a join with asset_sources, whose own foreign key already holds it
-- to assets (and assets are never deleted); checking it again per inserted row cost a third of a CSV ingest.
ALTER TABLE quotes_history DROP CONSTRAINT quotes_history_asset_id_fkey;
