-- The change feed behind GET /stream: every change to the latest state (a row of quotes_latest inserted or moved
-- forward) gets a row here with a sequence number, in commit order, so a client can resume from the last event id
-- it saw. Rows older than the replay window are pruned; quote_changes_horizon remembers how far, so a resume from
-- before it is known to be incomplete (the client then gets `event: reset`).
-- A trigger rather than a statement in the ETL: whatever writes the latest state feeds the stream, and the ETL's
-- SQL stays as it is.
-- depends: 0009.partition-lock-parent-only
CREATE TABLE quote_changes (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now(),
    -- the quotes_latest row as it was written (jsonb keeps numeric digits exactly); read back with
    -- jsonb_populate_record(NULL::quotes_latest, record), so a column added later needs no change here
    record     jsonb NOT NULL
);

CREATE TABLE quote_changes_horizon (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pruned_through bigint NOT NULL
);
INSERT INTO quote_changes_horizon (pruned_through) VALUES (0);

CREATE FUNCTION record_quote_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM changed) THEN
        RETURN NULL;
    END IF;
    -- held to commit: two writers never hold sequence numbers at once, so numbers become visible in order and a
    -- reader that has seen n has seen everything below n (on a standby too: it replays commits in order)
    PERFORM pg_advisory_xact_lock(x'636d645f636867'::bigint);  -- "cmd_chg"
    -- nulls and the run id left out: read back, a missing key is a null; a change is about half the size
    INSERT INTO quote_changes (record)
    SELECT jsonb_strip_nulls(to_jsonb(c) - 'run_id') FROM changed AS c ORDER BY c.source, c.coin_id;
    RETURN NULL;
END
$$;

-- transition tables allow one event per trigger: one trigger for new coins, one for coins moved forward
CREATE TRIGGER quotes_latest_inserted_feed AFTER INSERT ON quotes_latest
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION record_quote_changes();
CREATE TRIGGER quotes_latest_updated_feed AFTER UPDATE ON quotes_latest
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION record_quote_changes();
