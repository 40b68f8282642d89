-- The database's proof of life.
SELECT 1
