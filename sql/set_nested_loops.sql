-- Turns the planner's nested-loop joins on or off ($1: 'on' or 'off') until the transaction (or the savepoint it
-- runs in) ends; returns the setting it replaced, for the caller to put back.
SELECT was.setting
FROM (SELECT current_setting('enable_nestloop') AS setting) AS was,
     LATERAL set_config('enable_nestloop', $1, true)
