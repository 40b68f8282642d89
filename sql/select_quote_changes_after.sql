-- Changes to the latest state after sequence number $1, oldest first, at most $2: each change's seq and the
-- record as /data serves it (the columns of select_latest_all.sql, as they were when the change was written).
SELECT c.seq, r.symbol, r.name, r.source, r.coin_id, r.asset_id, r.rank, r.price_usd, r.market_cap_usd,
       r.volume_24h_usd, r.percent_change_24h, r.percent_change_1h, r.percent_change_7d, r.circulating_supply,
       r.total_supply, r.max_supply, r.fully_diluted_valuation_usd, r.high_24h_usd, r.low_24h_usd, r.ath_price_usd,
       r.ath_at, r.observed_at, r.ingested_at
FROM quote_changes AS c
CROSS JOIN LATERAL jsonb_populate_record(NULL::quotes_latest, c.record) AS r
WHERE c.seq > $1
ORDER BY c.seq
LIMIT $2
