"""GET /stats: ETL analytics: run totals, each source's record and its latest run, table sizes."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api.openapi import errors
from service.api.schemas import NoQuery, Stats
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.keys import POOL, SETTINGS
from service.web.responses import success_response

routes = web.RouteTableDef()

_LAST_RUN_FIELDS = ("id", "status", "started_at", "finished_at", "duration_seconds", "error", "rows_read",
                    "rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected")


@docs(tags=["etl"], summary="ETL analytics: run totals, per-source results, record totals",
      description="`total_records_processed` sums the records every run read. `last_success` / "
                  "`last_failure` are when the newest successful / failed run finished. `sources` lists "
                  "every enabled source and any other source that has runs.",
      responses=errors(429, 503))
@response_schema(Stats, 200, description="Run totals, per-source results and table sizes")
@querystring_schema(NoQuery)
@routes.get("/stats")
async def get_stats(request: web.Request) -> web.Response:
    async with db_deadline(request), request.app[POOL].acquire() as connection:
        totals = await connection.fetchrow(SQL.select_run_totals)
        per_source = await connection.fetch(SQL.select_source_stats)
        records = await connection.fetchrow(SQL.select_record_totals)
    by_source = {row["source"]: row for row in per_source}
    names = list(dict.fromkeys([*request.app[SETTINGS].etl_sources, *by_source]))
    return success_response(request, {
        **dict(totals), "sources": [_source(name, by_source.get(name)) for name in names],
        "records": dict(records),
    })


def _source(name: str, row) -> dict:
    if row is None:
        return {"source": name, "runs": 0, "successes": 0, "failures": 0, "last_success_at": None,
                "last_run": None}
    return {"source": name, "runs": row["runs"], "successes": row["successes"], "failures": row["failures"],
            "last_success_at": row["last_success_at"],
            "last_run": {field: row[field] for field in _LAST_RUN_FIELDS}}
