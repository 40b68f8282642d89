-- Takes the session-level advisory lock of history maintenance (retention) if no other session holds it; no
-- parameters; true when taken.
SELECT pg_try_advisory_lock(hashtext('history-maintenance'))
