-- Lets this batch's transaction commit without waiting for its WAL flush. Safe for the ETL: the batch's data
-- and its checkpoint commit atomically, so a PostgreSQL crash can lose both (re-read from the checkpoint
-- before them), never one without the other.
SET LOCAL synchronous_commit = off
