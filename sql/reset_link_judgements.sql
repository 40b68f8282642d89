-- Makes the coins named by $1 sources and $2 coin ids (parallel arrays) undecided, so the next link pass decides
-- them again: the coins a changed curated links file names (their reason back to the match key's, until then).
UPDATE asset_sources AS m
SET judged_at = NULL, judged_symbol = NULL, judged_name = NULL, judged_price = NULL, judged_market_cap = NULL,
    linked_by = DEFAULT, link_reason = DEFAULT
FROM unnest($1::text[], $2::text[]) AS c (source, coin_id)
WHERE m.source = c.source AND m.coin_id = c.coin_id
