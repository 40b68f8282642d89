-- Moves the staged historical points (stage_history) into stage_quotes, their numbers read as numeric (exactly the
-- digits given, exponent notation included). Returns nothing.
INSERT INTO stage_quotes (source, coin_id, observed_at, match_key, symbol, name, price_usd, market_cap_usd,
                          volume_24h_usd)
SELECT source, coin_id, observed_at, match_key, symbol, name, price_usd::numeric, market_cap_usd::numeric,
       volume_24h_usd::numeric
FROM stage_history
