-- Undoes 0006.history-partitions: one plain quotes_history again, every row copied back once.
ALTER TABLE quotes_history RENAME TO quotes_history_partitioned;
ALTER TABLE quotes_history_partitioned RENAME CONSTRAINT quotes_history_pkey TO quotes_history_partitioned_pkey;
DROP STATISTICS quotes_history_listing_symbol;
CREATE TABLE quotes_history (LIKE quotes_history_partitioned INCLUDING ALL EXCLUDING STATISTICS);
CREATE STATISTICS quotes_history_listing_symbol (dependencies) ON listing_id, symbol FROM quotes_history;
INSERT INTO quotes_history SELECT * FROM quotes_history_partitioned;
DROP TABLE quotes_history_partitioned;
DROP FUNCTION ensure_history_partitions(timestamptz[]);
ANALYZE quotes_history;
