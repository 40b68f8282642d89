"""GET /compare-runs: two runs of one source side by side, with the anomalies an operator should look at."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema

from service.api.deadline import db_deadline
from service.api.schemas import Comparison, CompareQuery, Error
from service.errors import ApiError
from service.keys import POOL
from service.logs import request_id_var
from service.responses import elapsed_ms, json_response
from service.sql import SQL

routes = web.RouteTableDef()
_SIDE_FIELDS = ("id", "status", "rows_read", "rows_inserted", "rows_rejected", "duration_seconds", "started_at")


@docs(tags=["etl"], summary="Compare two runs of the same source",
      description="`a` is the baseline, `b` the run compared with it. Anomalies: the record count (rows read) "
                  "changed by more than half, the duration more than doubled, a success turned into a "
                  "failure, a success that read zero rows (b).",
      responses={400: {"description": "A missing or bad parameter, or runs of different sources",
                       "schema": Error},
                 404: {"description": "No run has one of the ids", "schema": Error}})
@querystring_schema(CompareQuery)
@response_schema(Comparison, 200, description="Both runs, their changes and anomaly flags")
@routes.get("/compare-runs")
async def get_compare_runs(request: web.Request) -> web.Response:
    query = request["querystring"]
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
    return json_response({
        "request_id": request_id_var.get(), "api_latency_ms": elapsed_ms(request), "source": a["source"],
        "a": _side(a), "b": _side(b),
        "rows_change_pct": _change_pct(a["rows_read"], b["rows_read"]),
        "duration_ratio": _ratio(a["duration_seconds"], b["duration_seconds"]),
        "anomalies": anomalies, "flags": [name for name, holds in anomalies.items() if holds],
    })


def _anomalies(a, b) -> dict[str, bool]:
    rows_a, rows_b = a["rows_read"], b["rows_read"]
    ratio = _ratio(a["duration_seconds"], b["duration_seconds"])
    return {
        "record_count_changed_by_half": abs(rows_b - rows_a) > rows_a / 2 if rows_a else rows_b > 0,
        "duration_more_than_doubled": ratio is not None and ratio > 2,
        "success_turned_failure": a["status"] == "success" and b["status"] == "failed",
        "success_with_zero_rows": b["status"] == "success" and rows_b == 0,
    }


def _side(row) -> dict:
    return {name: row[name] for name in _SIDE_FIELDS}


def _change_pct(before: int, after: int) -> float | None:
    return round((after - before) / before * 100, 3) if before else None


def _ratio(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return round(after / before, 3)
