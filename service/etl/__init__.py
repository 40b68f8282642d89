"""The ETL: sources, normalization, the pipeline that stores one source's run, and the scheduler."""
