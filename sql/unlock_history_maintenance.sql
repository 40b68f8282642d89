-- Releases the session-level advisory lock of history maintenance; no parameters.
SELECT pg_advisory_unlock(hashtext('history-maintenance'))
