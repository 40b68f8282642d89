-- quotes_history partitioned by month of observed_at (UTC), so old history goes as whole partitions
-- (HISTORY_RETENTION_DAYS) and each month's index stays the size of a month. Converts the existing table in
-- place: every row is copied once into its month's partition. ensure_history_partitions() is how the service
-- (and this migration) adds months: created standalone, then attached, which locks the parent only in SHARE
-- UPDATE EXCLUSIVE mode (readers and writers go on; CREATE TABLE ... PARTITION OF would block them). There is no
-- default partition: it would make each new month scan it, and it forbids DETACH ... CONCURRENTLY.
-- depends: 0005.rejects-location-and-fields

CREATE FUNCTION ensure_history_partitions(observed timestamptz[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz;
    part text;
    locked boolean := false;
    created integer := 0;
BEGIN
    FOR month_start IN
        SELECT DISTINCT date_trunc('month', t, 'UTC') FROM unnest(observed) AS t WHERE t IS NOT NULL ORDER BY 1
    LOOP
        part := 'quotes_history_p' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
        CONTINUE WHEN EXISTS (SELECT FROM pg_inherits
                              WHERE inhparent = 'quotes_history'::regclass AND inhrelid = to_regclass(part));
        IF NOT locked THEN
            -- one session adds a month at a time; look again under the lock, another may just have added it
            LOCK TABLE quotes_history IN SHARE UPDATE EXCLUSIVE MODE;
            locked := true;
            CONTINUE WHEN EXISTS (SELECT FROM pg_inherits
                                  WHERE inhparent = 'quotes_history'::regclass AND inhrelid = to_regclass(part));
        END IF;
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE quotes_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                           'INCLUDING STORAGE INCLUDING GENERATED)', part);
            -- the planner reads each partition's own statistics: see 0003 for why /history needs this one
            EXECUTE format('CREATE STATISTICS %I (dependencies) ON listing_id, symbol FROM %I',
                           part || '_listing_symbol', part);
        END IF;
        -- (a table of that name that is no partition is one a retention run detached and has yet to drop: its
        -- rows are this month's history, so it goes back)
        EXECUTE format('ALTER TABLE quotes_history ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       part, month_start, month_start + interval '1 month');
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

ALTER TABLE quotes_history RENAME TO quotes_history_unpartitioned;
ALTER TABLE quotes_history_unpartitioned RENAME CONSTRAINT quotes_history_pkey TO quotes_history_unpartitioned_pkey;
ALTER STATISTICS quotes_history_listing_symbol RENAME TO quotes_history_unpartitioned_listing_symbol;
-- LIKE ... INCLUDING ALL: columns added by later migrations, defaults and indexes carry over as they are
CREATE TABLE quotes_history (LIKE quotes_history_unpartitioned INCLUDING ALL EXCLUDING STATISTICS)
PARTITION BY RANGE (observed_at);
CREATE STATISTICS quotes_history_listing_symbol (dependencies) ON listing_id, symbol FROM quotes_history;

DO $$ BEGIN  -- (PERFORM, not SELECT: yoyo would print the result)
    PERFORM ensure_history_partitions(ARRAY(
        SELECT DISTINCT date_trunc('month', observed_at, 'UTC') FROM quotes_history_unpartitioned
        UNION SELECT now() UNION SELECT now() + interval '1 month'));
END $$;
INSERT INTO quotes_history SELECT * FROM quotes_history_unpartitioned;
DROP TABLE quotes_history_unpartitioned;
ANALYZE quotes_history;
