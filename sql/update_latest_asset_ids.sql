-- Brings the latest state's asset_id to the coins' links after a link pass; no parameters. A row a batch of another
-- source holds (written, not committed) is passed over, never waited for (waiting could deadlock with that batch),
-- and caught up with by the next pass. Returns how many rows it moved.
WITH stale AS (
    SELECT l.source, l.coin_id, m.asset_id
    FROM quotes_latest AS l
    JOIN asset_sources AS m ON m.source = l.source AND m.coin_id = l.coin_id
    WHERE l.asset_id <> m.asset_id
    FOR UPDATE OF l SKIP LOCKED
), moved AS (
    UPDATE quotes_latest AS l
    SET asset_id = stale.asset_id
    FROM stale
    WHERE l.source = stale.source AND l.coin_id = stale.coin_id
    RETURNING 1
)
SELECT count(*) FROM moved
