"""GET /compare-runs: two runs of one source side by side, with the anomalies an operator should look at."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api.openapi import errors
from service.api.schemas import Comparison, CompareQuery
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.errors import ApiError
from service.web.keys import POOL, QUERY
from service.web.responses import success_response

routes = web.RouteTableDef()
_SIDE_FIELDS = ("id", "status", "rows_read", "rows_inserted", "rows_rejected", "duration_seconds", "started_at")


@docs(tags=["etl"], summary="Compare two runs of the same source",
      description="`a` is the baseline, `b` the run compared with it. A run whose input had not changed "
                  "(`input_unchanged`: it succeeded reading nothing, e.g. a CSV file already read to its end) is "
                  "only compared by status. Flags: `record_count_changed_by_more_than_half` (rows read), "
                  "`duration_more_than_doubled`, `success_turned_into_failure`, `success_with_zero_rows` (b "
                  "read a payload or file with no records).",
      responses=errors(400, 404, 429, 503, e400="A missing or bad parameter, or runs of different sources",
                       e404="No run has one of the ids"))
@querystring_schema(CompareQuery)
@response_schema(Comparison, 200, description="Both runs, their changes and anomaly flags")
@routes.get("/compare-runs")
async def get_compare_runs(request: web.Request) -> web.Response:
    query = request[QUERY]
    async with db_deadline(request), request.app[POOL].acquire() as connection:
        a = await connection.fetchrow(SQL.select_run, query["a"])
        b = await connection.fetchrow(SQL.select_run, query["b"])
    for name, row in (("a", a), ("b", b)):
        if row is None:
            raise ApiError(404, f"no run with id {query[name]}", fields={name: ["no run with this id"]})
    if a["source"] != b["source"]:
        raise ApiError(400, "invalid parameter(s): b", code="invalid_parameters",
                       fields={"b": [f"run {b['id']} is of source {b['source']}, run {a['id']} of {a['source']}"]})
    anomalies = _anomalies(a, b)
    return success_response(request, {
        "source": a["source"],
        "a": _side(a), "b": _side(b),
        "rows_change_pct": _change_pct(a["rows_read"], b["rows_read"]),
        "duration_ratio": _ratio(a["duration_seconds"], b["duration_seconds"]),
        "anomalies": anomalies, "flags": [name for name, holds in anomalies.items() if holds],
    })


def input_unchanged(run) -> bool:
    """The run succeeded without reading a byte: its input had not changed since the previous run (a CSV file
    already read to its end). Such a run says nothing about record counts or durations."""
    return run["status"] == "success" and run["rows_read"] == 0 and run["bytes_read"] == 0


def _anomalies(a, b) -> dict[str, bool]:
    rows_a, rows_b = a["rows_read"], b["rows_read"]
    ratio = _ratio(a["duration_seconds"], b["duration_seconds"])
    comparable = not input_unchanged(a) and not input_unchanged(b)
    return {
        "record_count_changed_by_more_than_half":
            comparable and (abs(rows_b - rows_a) > rows_a / 2 if rows_a else rows_b > 0),
        "duration_more_than_doubled": comparable and ratio is not None and ratio > 2,
        "success_turned_into_failure": a["status"] == "success" and b["status"] == "failed",
        "success_with_zero_rows": b["status"] == "success" and rows_b == 0 and not input_unchanged(b),
    }


def _side(row) -> dict:
    return {**{name: row[name] for name in _SIDE_FIELDS}, "input_unchanged": input_unchanged(row)}


def _change_pct(before: int, after: int) -> float | None:
    return round((after - before) / before * 100, 3) if before else None


def _ratio(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return round(after / before, 3)
