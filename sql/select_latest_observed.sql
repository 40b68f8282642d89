-- The observed_at of every coin of source $1 in the latest state: what an API run can skip as unchanged.
SELECT coin_id, observed_at FROM quotes_latest WHERE source = $1
