"""GET /assets/{symbol}: one asset's latest quote from every source side by side, with the price spread."""
from __future__ import annotations

from decimal import Decimal

from aiohttp import web
from aiohttp_apispec import docs, match_info_schema, querystring_schema, response_schema

from service.api.openapi import errors
from service.api.schemas import AssetEnvelope, AssetPath, NoQuery
from service.sql import SQL
from service.web.deadline import db_deadline
from service.web.errors import ApiError
from service.web.keys import PATH, READER
from service.web.policies import cached
from service.web.responses import success_response

routes = web.RouteTableDef()
_SPREAD_PLACES = Decimal("0.000001")
_SOURCE_FIELDS = ("source", "coin_id", "price_usd", "market_cap_usd", "volume_24h_usd", "percent_change_1h",
                  "percent_change_7d", "ath_price_usd", "ath_at", "fully_diluted_valuation_usd", "high_24h_usd",
                  "low_24h_usd", "observed_at", "linked_by", "link_reason")


@docs(tags=["data"], summary="One asset across sources, with the spread between their prices",
      description="One asset is one real asset: coins of different sources are linked when the linking rule "
                  "(symbol, normalized name, supply, market cap, price, all-time high) or a curated link says "
                  "so, and each source says why (`linked_by`, `link_reason`). Different assets sharing the "
                  "symbol are separate entries; an asset never holds two coins of one source. "
                  "`spread_pct` = (highest - lowest) / lowest * 100. Ambiguous pairs: /identity/candidates.",
      responses=errors(400, 404, 429, 503, e400="A bad symbol", e404="No asset has this symbol"))
@match_info_schema(AssetPath)
@response_schema(AssetEnvelope, 200, description="Each asset with this symbol, its sources side by side")
@querystring_schema(NoQuery)
@cached
@routes.get("/assets/{symbol}")
async def get_asset(request: web.Request) -> web.Response:
    symbol = request[PATH]["symbol"]
    async with db_deadline(request):
        rows = await request.app[READER].fetch(SQL.select_asset_quotes, symbol)
    if not rows:
        raise ApiError(404, f"no asset with symbol {symbol!r}")
    assets: dict[int, dict] = {}
    for row in rows:
        asset = assets.setdefault(row["asset_id"], {
            "asset_id": row["asset_id"], "symbol": row["symbol"], "name": row["name"], "sources": []})
        asset["sources"].append({name: row[name] for name in _SOURCE_FIELDS})
    found = [_with_spread(a) for a in assets.values()]
    # `data.assets` is the contract's place; the top-level copy keeps clients of the first version working
    return success_response(request, {"symbol": symbol, "data": {"symbol": symbol, "assets": found}, "assets": found})


def _with_spread(asset: dict) -> dict:
    prices = [quote["price_usd"] for quote in asset["sources"]]
    low, high = min(prices), max(prices)
    spread = ((high - low) / low * 100).quantize(_SPREAD_PLACES) if low > 0 else None
    return {**asset, "min_price_usd": low, "max_price_usd": high, "spread_pct": spread}
