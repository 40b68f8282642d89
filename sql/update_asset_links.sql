-- Moves source coins to the assets a link pass decided: $1 sources, $2 coin ids, $3 asset ids, $4 linked_by,
-- $5 reasons (parallel arrays). The latest state follows; the history, keyed by the source coin, is left as stored.
WITH moved AS (
    UPDATE asset_sources AS m
    SET asset_id = t.asset_id, linked_by = t.linked_by, link_reason = t.reason
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])
         AS t (source, coin_id, asset_id, linked_by, reason)
    WHERE m.source = t.source AND m.coin_id = t.coin_id
    RETURNING m.source, m.coin_id, m.asset_id
)
UPDATE quotes_latest AS l
SET asset_id = moved.asset_id
FROM moved
WHERE l.source = moved.source AND l.coin_id = moved.coin_id AND l.asset_id <> moved.asset_id
