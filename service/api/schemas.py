"""Marshmallow schemas shared by the API resources: query parameters, records, envelopes."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from service.settings import KNOWN_SOURCES

SORT_KEYS = ("market_cap_usd", "price_usd", "volume_24h_usd", "percent_change_24h", "rank", "symbol")
SORT_CHOICES = tuple(k for key in SORT_KEYS for k in (key, f"-{key}"))


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # cache-busting and tracking parameters are not errors


class DataQuery(QuerySchema):
    source = fields.String(validate=validate.OneOf(KNOWN_SOURCES),
                           metadata={"description": "Only this source's records", "example": "coingecko"})
    symbol = fields.String(validate=validate.Length(min=1, max=64),
                           metadata={"description": "Exact symbol, case-insensitive", "example": "BTC"})
    min_price = fields.Decimal(validate=validate.Range(min=0), allow_nan=False, as_string=True,
                               metadata={"description": "Lowest price_usd (inclusive)"})
    max_price = fields.Decimal(validate=validate.Range(min=0), allow_nan=False, as_string=True,
                               metadata={"description": "Highest price_usd (inclusive)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Records per page (1-500)"})
    sort = fields.String(load_default="-market_cap_usd", validate=validate.OneOf(SORT_CHOICES),
                         metadata={"description": "Sort key; a leading '-' sorts descending. "
                                                  "Default: -market_cap_usd (market_cap_usd descending)"})
    cursor = fields.String(validate=validate.Length(min=1, max=2048),
                           metadata={"description": "Opaque cursor from a previous page's next_cursor"})
    page = fields.Integer(validate=validate.Range(min=1, max=1_000_000),
                          metadata={"description": "1-based page number (page mode; not with cursor)"})

    @validates_schema
    def one_paging_mode(self, data, **_):
        if "cursor" in data and "page" in data:
            raise ValidationError("give either cursor or page, not both", field_name="cursor")
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError("min_price is above max_price", field_name="min_price")


class Quote(Schema):
    symbol = fields.String(metadata={"example": "BTC"})
    name = fields.String(metadata={"example": "Bitcoin"})
    source = fields.String(metadata={"example": "coinpaprika"})
    coin_id = fields.String(metadata={"example": "btc-bitcoin"})
    asset_id = fields.Integer()
    rank = fields.Integer(allow_none=True)
    price_usd = fields.Decimal(metadata={"example": 16951.52})
    market_cap_usd = fields.Decimal(allow_none=True)
    volume_24h_usd = fields.Decimal(allow_none=True)
    percent_change_24h = fields.Decimal(allow_none=True)
    circulating_supply = fields.Decimal(allow_none=True)
    total_supply = fields.Decimal(allow_none=True)
    max_supply = fields.Decimal(allow_none=True)
    observed_at = fields.DateTime(metadata={"example": "2026-11-25T16:00:00Z"})
    ingested_at = fields.DateTime()


class Envelope(Schema):
    request_id = fields.String()
    api_latency_ms = fields.Float()


class PageEnvelope(Envelope):
    data = fields.List(fields.Nested(Quote))
    limit = fields.Integer()
    next_cursor = fields.String(allow_none=True)
    page = fields.Integer()
    total_records = fields.Integer()
    sort = fields.String()


class ErrorBody(Schema):
    code = fields.String(metadata={"example": "invalid_parameters"})
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class Error(Schema):
    error = fields.Nested(ErrorBody)
    request_id = fields.String()
