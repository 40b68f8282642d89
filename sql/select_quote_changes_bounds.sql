-- Where the change feed stands; no parameters. `pruned_through`: changes up to it are gone (a resume from before
-- it is incomplete); `newest`: the newest sequence number ever written (0 when none).
SELECT h.pruned_through,
       greatest(h.pruned_through, coalesce((SELECT max(seq) FROM quote_changes), 0)) AS newest
FROM quote_changes_horizon AS h
