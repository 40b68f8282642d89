-- Undoes 0008.service-keys (cursors issued before then stop verifying: clients start again without them).
DROP TABLE IF EXISTS service_keys;
