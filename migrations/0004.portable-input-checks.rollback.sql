-- Undoes 0004.portable-input-checks.
DROP FUNCTION IF EXISTS is_valid_timestamptz(text);
DROP FUNCTION IF EXISTS is_valid_numeric(text);
DROP FUNCTION IF EXISTS numeric_cast_succeeds(text);
