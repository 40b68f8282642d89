"""Marshmallow schemas of GET /gaps: its query and its envelope."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.api.schemas import SYMBOL_RULES, Envelope, IsoMoment, Name, QuerySchema
from service.gaps import INTERVALS
from service.settings import KNOWN_SOURCES


class GapsQuery(QuerySchema):
    refused = {"cursor": "/gaps answers in one page; narrow it with from, to or limit"}
    symbol = fields.String(required=True, validate=SYMBOL_RULES, metadata={
        "description": "The asset's symbol, case-insensitive", "example": "BTC"})
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's coins, e.g. coingecko"})
    interval = fields.String(load_default="1h", validate=validate.OneOf(tuple(INTERVALS)),
                             metadata={"description": "Bucket width; buckets are aligned from the Unix epoch"})
    from_ = IsoMoment(data_key="from", default_timezone=timezone.utc, metadata={
        "description": "From the bucket holding this time (ISO-8601; no zone means UTC); default: each coin's "
                       "first observation"})
    to = IsoMoment(default_timezone=timezone.utc, metadata={
        "description": "Up to the last bucket starting before this time; default: the start of the current "
                       "bucket (the bucket still filling is not reported)"})
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10_000),
                           metadata={"description": "Most gaps answered (1-10000); `truncated` says when more"})

    @validates_schema
    def ordered_range(self, data, **_):
        if "from_" in data and "to" in data and data["from_"] >= data["to"]:
            raise ValidationError("from is not before to", field_name="from")


class Gap(Schema):
    source = fields.String(metadata={"example": "coingecko"})
    coin_id = fields.String(metadata={"example": "bitcoin"})
    start = fields.DateTime(metadata={"description": "First empty bucket's start (inclusive)",
                                      "example": "2026-11-20T03:00:00Z"})
    end = fields.DateTime(metadata={"description": "End of the last empty bucket (exclusive)",
                                    "example": "2026-11-20T07:00:00Z"})
    missing = fields.Integer(metadata={"description": "Empty buckets in the run", "example": 4})


class GapsEnvelope(Envelope):
    symbol = fields.String(metadata={"example": "BTC"})
    interval = fields.String(metadata={"example": "1h"})
    data = fields.List(fields.Nested(Gap))
    limit = fields.Integer(metadata={"example": 1000})
    truncated = fields.Boolean(metadata={"description": "More gaps than `limit` exist in the range"})
