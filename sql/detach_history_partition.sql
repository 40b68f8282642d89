-- Detaches the quotes_history partition {partition} (an identifier quoted by service/partitions.py, taken from
-- the catalog) without blocking readers or writers of the other partitions; cannot run in a transaction block.
ALTER TABLE quotes_history DETACH PARTITION {partition} CONCURRENTLY
