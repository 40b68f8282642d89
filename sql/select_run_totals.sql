-- Totals over every ETL run: how many, records read, and the newest success and failure.
SELECT count(*) AS total_runs,
       coalesce(sum(rows_read), 0)::bigint AS total_records_processed,
       max(finished_at) FILTER (WHERE status = 'success') AS last_success,
       max(finished_at) FILTER (WHERE status = 'failed') AS last_failure
FROM etl_runs
