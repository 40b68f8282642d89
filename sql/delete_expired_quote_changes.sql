-- Prunes the change feed: every change up to the newest one written more than $1 seconds ago (a prefix of the
-- sequence, so the horizon is one number), and moves the horizon to it. Returns how many changes went.
WITH expired AS (
    SELECT max(seq) AS through
    FROM quote_changes
    WHERE changed_at < now() - make_interval(secs => $1)
), gone AS (
    DELETE FROM quote_changes
    WHERE seq <= (SELECT through FROM expired)
    RETURNING seq
), moved AS (
    UPDATE quote_changes_horizon
    SET pruned_through = greatest(pruned_through, (SELECT through FROM expired))
    WHERE (SELECT through FROM expired) IS NOT NULL
)
SELECT count(*) AS pruned FROM gone
