-- Collects the distinct coins (and their spellings) of the staged quotes into stage_coins, in one pass.
INSERT INTO stage_coins (source, coin_id, match_key, symbol, name)
SELECT DISTINCT source, coin_id, match_key, symbol, name FROM stage_quotes
