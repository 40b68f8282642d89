-- Writes a link pass's decision for the coins it judged or moved: $1 sources, $2 coin ids, $3 asset ids,
-- $4 linked_by, $5 reasons, and what each was judged on: $6 symbols, $7 names, $8 prices, $9 market caps,
-- $10 observation times (parallel arrays). The history, keyed by the source coin, is left as stored; the latest
-- state follows in sql/update_latest_asset_ids.sql.
UPDATE asset_sources AS m
SET asset_id = t.asset_id, linked_by = t.linked_by, link_reason = t.reason, judged_symbol = t.symbol,
    judged_name = t.name, judged_price = t.price, judged_market_cap = t.market_cap, judged_at = t.observed_at
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::float8[], $9::float8[], $10::timestamptz[])
         AS t (source, coin_id, asset_id, linked_by, reason, symbol, name, price, market_cap, observed_at)
WHERE m.source = t.source AND m.coin_id = t.coin_id
