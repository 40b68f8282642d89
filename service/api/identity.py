"""GET /identity/candidates: pairs of coins the linking rule found ambiguous (same symbol, figures borderline or
names that match with figures that do not), for an operator to curate in ASSET_LINKS_PATH."""
from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs, querystring_schema, response_schema
from marshmallow import Schema, fields, validate

from service.web import cursors
from service.web.deadline import db_deadline
from service.api.openapi import READ_ERRORS
from service.api.schemas import CURSOR_RULES, SYMBOL_RULES, Envelope, QuerySchema
from service.web.errors import ApiError
from service.web.keys import POOL, QUERY
from service.web.responses import success_response
from service.sql import SQL

routes = web.RouteTableDef()
MAX_OFFSET = 10_000_000


class CandidatesQuery(QuerySchema):
    symbol = fields.String(validate=SYMBOL_RULES, metadata={"description": "Only pairs of this symbol"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Pairs per page (1-500)"})
    cursor = fields.String(validate=CURSOR_RULES,
                           metadata={"description": "Opaque cursor from a previous page's next_cursor"})


class CandidateCoin(Schema):
    source = fields.String(metadata={"example": "coinpaprika"})
    coin_id = fields.String(metadata={"example": "bnb-binance-coin"})
    curate = fields.String(metadata={"description": "How to name this coin in ASSET_LINKS_PATH",
                                     "example": "coinpaprika:bnb-binance-coin"})


class Candidate(Schema):
    symbol = fields.String(metadata={"example": "BNB"})
    a = fields.Nested(CandidateCoin)
    b = fields.Nested(CandidateCoin)
    verdict = fields.String(metadata={"enum": ["ambiguous", "link"], "description": (
        "`ambiguous`: the rule would not link them; `link`: it would, but another link of one of them won")})
    score = fields.Integer(metadata={"description": "Evidence for 'same asset'; -1 when a figure contradicts"})
    note = fields.String(metadata={"example": "not enough agreeing figures"})
    reason = fields.String(metadata={"example": "names silent ('BNB' / 'Binance Coin'); rank agrees (5 vs 8)"})
    decided_at = fields.DateTime()


class CandidatesEnvelope(Envelope):
    data = fields.List(fields.Nested(Candidate))
    limit = fields.Integer()
    next_cursor = fields.String(allow_none=True)


@docs(tags=["data"], summary="Ambiguous cross-source pairs an operator may curate",
      description="Pairs of coins of different sources sharing a symbol that the linking rule did not link (or "
                  "linked elsewhere), with the evidence it weighed. Forcing (`same`) or forbidding (`apart`) a "
                  "link is a line in the ASSET_LINKS_PATH file (read at start-up). Recomputed after every run.",
      responses=READ_ERRORS)
@querystring_schema(CandidatesQuery)
@response_schema(CandidatesEnvelope, 200, description="One page of ambiguous pairs, by symbol")
@routes.get("/identity/candidates")
async def get_candidates(request: web.Request) -> web.Response:
    query = request[QUERY]
    symbol = query["symbol"].strip().upper() if "symbol" in query else None
    limit, offset = query["limit"], 0
    if "cursor" in query:
        state = cursors.decode(query["cursor"], {"offset": int})
        if not 0 < state["offset"] <= MAX_OFFSET or state.get("symbol") != symbol:
            raise ApiError(400, "invalid parameter(s): cursor", code="invalid_parameters", fields={
                "cursor": ["issued for another symbol; send it with the same symbol"]})
        offset = state["offset"]
    async with db_deadline(request):
        rows = await request.app[POOL].fetch(SQL.select_asset_link_candidates, symbol, limit + 1, offset)
    page = [_candidate(row) for row in rows[:limit]]
    next_cursor = cursors.encode({"offset": offset + limit, "symbol": symbol}) if len(rows) > limit else None
    return success_response(request, {"data": page, "limit": limit, "next_cursor": next_cursor})


def _candidate(row) -> dict:
    coins = {side: {"source": row[f"source_{side}"], "coin_id": row[f"coin_{side}"],
                    "curate": f"{row[f'source_{side}']}:{row[f'coin_{side}']}"} for side in "ab"}
    return {"symbol": row["symbol"], **coins, "verdict": row["verdict"], "score": row["score"], "note": row["note"],
            "reason": row["reason"], "decided_at": row["decided_at"]}
