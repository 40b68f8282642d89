-- Completes a detach of the quotes_history partition {partition} that was interrupted (see
-- detach_history_partition.sql for the placeholder).
ALTER TABLE quotes_history DETACH PARTITION {partition} FINALIZE
