-- Per source: run counts by outcome, the last success's end, and the newest run with its duration and counts.
SELECT r.source, r.id, r.status, r.started_at, r.finished_at, r.error,
       extract(epoch FROM r.finished_at - r.started_at)::float8 AS duration_seconds,
       r.rows_read, r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_rejected,
       t.runs, t.successes, t.failures, t.last_success_at
FROM (SELECT DISTINCT ON (source) * FROM etl_runs ORDER BY source, id DESC) AS r
JOIN (SELECT source, count(*) AS runs,
             count(*) FILTER (WHERE status = 'success') AS successes,
             count(*) FILTER (WHERE status = 'failed') AS failures,
             max(finished_at) FILTER (WHERE status = 'success') AS last_success_at
      FROM etl_runs GROUP BY source) AS t ON t.source = r.source
ORDER BY r.source
