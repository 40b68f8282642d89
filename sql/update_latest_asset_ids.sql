-- Brings the latest state's asset_id to the coins' links after a link pass: the coins run $1 wrote (null: every
-- coin) and the coins $2 sources, $3 coin ids (parallel arrays) whose link the pass moved. A row a batch of another
-- source holds (written, not committed) is passed over, never waited for (waiting could deadlock with that
-- batch): that batch's own run ends with a pass that catches up with it. Returns how many rows it moved.
WITH stale AS (
    SELECT l.source, l.coin_id, m.asset_id
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE l.asset_id <> m.asset_id
      AND ($1::bigint IS NULL OR l.run_id = $1
           OR (l.source, l.coin_id) IN (SELECT * FROM unnest($2::text[], $3::text[])))
    FOR UPDATE OF l SKIP LOCKED
), moved AS (
    UPDATE quotes_latest AS l
    SET asset_id = stale.asset_id
    FROM stale
    WHERE l.source = stale.source AND l.coin_id = stale.coin_id
    RETURNING 1
)
SELECT count(*) FROM moved
