-- Drops {partition}, a month of history already detached from quotes_history (see detach_history_partition.sql).
DROP TABLE IF EXISTS {partition}
