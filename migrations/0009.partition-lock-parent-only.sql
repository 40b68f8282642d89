-- ensure_history_partitions() locks only the partitioned parent while it adds a month. LOCK TABLE without ONLY
-- also locks every partition, and so waited for autovacuum on any of them (measured: seconds per new month
-- during a bulk CSV load, as autovacuum worked through the months just written). The parent's lock is what
-- serializes two sessions adding a month; ATTACH PARTITION itself locks only the parent and the new month.
-- depends: 0006.history-partitions

CREATE OR REPLACE FUNCTION ensure_history_partitions(observed timestamptz[]) RETURNS integer
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
            LOCK TABLE ONLY quotes_history IN SHARE UPDATE EXCLUSIVE MODE;
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
