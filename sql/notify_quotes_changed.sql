-- Tells every replica (LISTEN quotes_changed) that committed quotes changed, so cached answers are dropped.
SELECT pg_notify('quotes_changed', $1)
