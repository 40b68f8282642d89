-- Serializes link passes (every source's run ends with one) until the transaction ends; no parameters.
SELECT pg_advisory_xact_lock(hashtext('asset-links'))
