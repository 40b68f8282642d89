"""Marshmallow schemas of GET /candles: its query and its envelope."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from service.api.schemas import Envelope, IsoMoment, Name, SeriesQuery
from service.settings import KNOWN_SOURCES

# bucket widths in seconds; buckets start at whole multiples of them from the Unix epoch
INTERVALS = {"5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


class CandlesQuery(SeriesQuery):
    interval = fields.String(load_default="1h", validate=validate.OneOf(tuple(INTERVALS)),
                             metadata={"description": "Bucket width"})
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's candles, e.g. csv"})
    from_ = IsoMoment(data_key="from", default_timezone=timezone.utc, metadata={
        "description": "Earliest bucket_start, inclusive: buckets starting at or after it (ISO-8601; no zone "
                       "means UTC; a date alone is its midnight UTC), e.g. 2026-11-20T00:00:00Z"})
    to = IsoMoment(default_timezone=timezone.utc, metadata={
        "description": "Latest bucket_start, inclusive; every bucket holds all its observations, also the last"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "Candles per page (1-1000)"})


class Candle(Schema):
    bucket_start = fields.DateTime(metadata={"example": "2026-11-20T00:00:00Z"})
    source = fields.String(metadata={"example": "coingecko"})
    coin_id = fields.String(metadata={"example": "bitcoin"})
    open = fields.Decimal(metadata={"description": "Price of the bucket's first observation", "example": 88582.89})
    high = fields.Decimal(metadata={"description": "Highest price in the bucket", "example": 88990.12})
    low = fields.Decimal(metadata={"description": "Lowest price in the bucket", "example": 88100.5})
    close = fields.Decimal(metadata={"description": "Price of the bucket's last observation", "example": 88700})
    observations = fields.Integer(metadata={"description": "Observations in the bucket", "example": 24})


class CandlesEnvelope(Envelope):
    symbol = fields.String(metadata={"example": "BTC"})
    interval = fields.String(metadata={"example": "1h"})
    data = fields.List(fields.Nested(Candle))
    limit = fields.Integer(metadata={"example": 200})
    next_cursor = fields.String(allow_none=True, metadata={"example": None})
