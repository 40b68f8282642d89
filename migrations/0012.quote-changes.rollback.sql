-- Undoes 0012.quote-changes: the stream's change feed goes (clients resuming from an id get `event: reset`).
DROP TRIGGER IF EXISTS quotes_latest_updated_feed ON quotes_latest;
DROP TRIGGER IF EXISTS quotes_latest_inserted_feed ON quotes_latest;
DROP FUNCTION IF EXISTS record_quote_changes();
DROP TABLE IF EXISTS quote_changes_horizon;
DROP TABLE IF EXISTS quote_changes;
