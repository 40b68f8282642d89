-- For each source: its newest run, its last successful run's end and the newest observation it stored; backfill
-- runs aside (they fill the past; health is about the present).
SELECT r.source, r.id, r.status, r.started_at, r.finished_at, r.error,
       extract(epoch FROM r.finished_at - r.started_at)::float8 AS duration_seconds,
       r.rows_read, r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_rejected,
       (SELECT max(finished_at) FROM etl_runs s WHERE s.source = r.source AND s.status = 'success'
                                                   AND s.trigger <> 'backfill')
           AS last_success_at,
       (SELECT max(observed_at) FROM quotes_latest q WHERE q.source = r.source) AS newest_observation_at
FROM (SELECT DISTINCT ON (source) * FROM etl_runs WHERE trigger <> 'backfill' ORDER BY source, id DESC) AS r
ORDER BY r.source
