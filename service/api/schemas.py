"""Marshmallow schemas shared by the API resources: query parameters, records, envelopes."""
from __future__ import annotations

import difflib
import re
from datetime import timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from service.settings import KNOWN_SOURCES

SORT_KEYS = ("market_cap_usd", "price_usd", "volume_24h_usd", "percent_change_24h", "rank", "symbol")
SORT_CHOICES = tuple(k for key in SORT_KEYS for k in (key, f"-{key}"))
# cursors are URL-safe base64 this service wrote; the cap keeps a URL far below the server's 8 KB line limit
CURSOR_RULES = [validate.Length(min=1, max=512), validate.Regexp(r"^[A-Za-z0-9_-]+$")]
# symbols are printable text: PostgreSQL refuses NUL in text, and control characters are never a symbol


def _one_symbol(value: str) -> None:
    """A comma-joined list is refused rather than read as one odd symbol that matches nothing."""
    if "," in value:
        raise ValidationError("one symbol only; a comma-separated list is not supported")


SYMBOL_RULES = [validate.Length(min=1, max=64),
                validate.Regexp(r"^[^\x00-\x1f\x7f]+$", error="must be printable text"), _one_symbol]
# a zone offset whose '+' arrived unencoded: the query string decoded it to a space
_PLUS_AS_SPACE = re.compile(r"\d \d{2}(:?\d{2})?$")


class Symbol(fields.String):
    """A symbol filter, case-insensitive: `btc` is `BTC`."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class Name(fields.String):
    """A name filter (a source, a status), case-insensitive: `CSV` is `csv`."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class IsoMoment(fields.AwareDateTime):
    """An ISO-8601 time; a bare date (also ISO-8601) is that day's midnight UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            value = value.strip() + "T00:00:00+00:00"
        if isinstance(value, str) and _PLUS_AS_SPACE.search(value):
            raise ValidationError("not a valid time: its zone's '+' arrived as a space; encode '+' as %2B in a "
                                  "URL (e.g. 2024-01-01T00:00:00%2B01:00)")
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:  # 0001-01-01T00:00+05:00 is before year 1 in UTC: no datetime can hold it
            moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError("out of range: must fall between years 1 and 9999 in UTC") from None
        return moment


class QuerySchema(Schema):
    """Optional filters carry no `example`: Swagger UI would fill it in and "Try it out" would filter."""

    class Meta:
        unknown = EXCLUDE  # never reached: one_value_each refuses unknown names first, with a hint

    # parameters other routes take that this one does not: refused, never silently ignored (name -> hint)
    refused: dict[str, str] = {}

    @pre_load
    def one_value_each(self, data, **_):
        """A parameter sent twice (`source=a&source=b`) is refused: reading only one would half-apply it. An
        unknown one is refused too (a typo is never silently ignored), naming the closest known one."""
        query = getattr(data, "data", data)
        getall = getattr(query, "getall", None)
        if getall is None:
            return data
        known = [field.data_key or key for key, field in self.fields.items()]
        problems = {name: ["give this parameter once; repeating it is not supported"]
                    for name in known if len(getall(name, ())) > 1}
        problems.update({name: [f"not supported on this route: {hint}"]
                         for name, hint in self.refused.items() if getall(name, ())})
        for name in set(query).difference(known, self.refused):
            problems[name] = [_unknown(name, known)]
        if problems:
            raise ValidationError(problems)
        return data


def _unknown(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    if close:
        return f"unknown parameter; did you mean {close[0]}?"
    return f"unknown parameter; this route takes: {', '.join(sorted(known)) or 'no parameters'}"


class NoQuery(QuerySchema):
    """A JSON route without query parameters: any one sent is refused by name."""


class DataQuery(QuerySchema):
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's records, e.g. coingecko"})
    symbol = Symbol(validate=SYMBOL_RULES, metadata={"description": "Exact symbol, case-insensitive, e.g. BTC"})
    # apispec writes a Decimal's Range as a string bound; the metadata gives the document a number
    min_price = fields.Decimal(validate=validate.Range(min=0), allow_nan=False, as_string=True,
                               metadata={"description": "Lowest price_usd (inclusive)", "minimum": 0})
    max_price = fields.Decimal(validate=validate.Range(min=0), allow_nan=False, as_string=True,
                               metadata={"description": "Highest price_usd (inclusive)", "minimum": 0})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Records per page (1-500)"})
    sort = fields.String(load_default="-market_cap_usd", validate=validate.OneOf(SORT_CHOICES),
                         metadata={"description": "Sort key; a leading '-' sorts descending. "
                                                  "Default: -market_cap_usd (market_cap_usd descending)"})
    cursor = fields.String(validate=CURSOR_RULES,
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


class LaterQuoteFields(Schema):
    """The quote fields added after the first sources: /data, /history and /assets show them alike."""
    percent_change_1h = fields.Decimal(allow_none=True, metadata={"description": "Both API sources; null for CSV"})
    percent_change_7d = fields.Decimal(allow_none=True, metadata={"description": "Both API sources; null for CSV"})
    fully_diluted_valuation_usd = fields.Decimal(allow_none=True, metadata={"description": "CoinGecko only"})
    high_24h_usd = fields.Decimal(allow_none=True, metadata={
        "description": "Highest price of the last 24 h; CoinGecko only"})
    low_24h_usd = fields.Decimal(allow_none=True, metadata={
        "description": "Lowest price of the last 24 h; CoinGecko only"})
    ath_price_usd = fields.Decimal(allow_none=True, metadata={
        "description": "All-time high price; both API sources; null for CSV"})
    ath_at = fields.DateTime(allow_none=True, metadata={"description": "When the all-time high was reached"})


class Quote(LaterQuoteFields):
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


MAX_ID = 2**63 - 1
RUN_STATUSES = ("running", "success", "failed")


class SeriesQuery(QuerySchema):
    """What the time-series routes (/history, /candles) share: a cursor, and `symbol` unless the cursor carries it."""
    symbol = Symbol(validate=SYMBOL_RULES, metadata={
        "description": "The asset's symbol, case-insensitive; required unless a cursor is given", "example": "BTC"})
    cursor = fields.String(validate=CURSOR_RULES,
                           metadata={"description": "Opaque cursor from a previous page's next_cursor"})
    refused = {"page": "follow next_cursor (a time series pages by cursor only)"}

    @validates_schema
    def ordered_range(self, data, **_):
        if "symbol" not in data and "cursor" not in data:
            raise ValidationError("Missing data for required field.", field_name="symbol")
        if "from_" in data and "to" in data and data["from_"] > data["to"]:
            raise ValidationError("from is after to", field_name="from")


class HistoryQuery(SeriesQuery):
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's observations, e.g. csv"})
    from_ = IsoMoment(data_key="from", default_timezone=timezone.utc, metadata={
        "description": "Earliest observed_at, inclusive (ISO-8601; no zone means UTC; a date alone is its "
                       "midnight UTC), e.g. 2026-11-20T00:00:00Z"})
    to = IsoMoment(default_timezone=timezone.utc, metadata={
        "description": "Latest observed_at, inclusive (ISO-8601; no zone means UTC; a date alone is its "
                       "midnight UTC), e.g. 2026-11-21"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000),
                           metadata={"description": "Observations per page (1-1000)"})


class HistoryEnvelope(Envelope):
    symbol = fields.String(metadata={"example": "BTC"})
    data = fields.List(fields.Nested(Quote))
    limit = fields.Integer(metadata={"example": 100})
    next_cursor = fields.String(allow_none=True, metadata={"example": None})


class RunCounts(Schema):
    rows_read = fields.Integer(metadata={"example": 3000})
    rows_inserted = fields.Integer(metadata={"example": 2990})
    rows_updated = fields.Integer(metadata={"example": 2990})
    rows_unchanged = fields.Integer(metadata={"example": 0})
    rows_rejected = fields.Integer(metadata={"example": 10})


class LastRun(RunCounts):
    id = fields.Integer(metadata={"example": 42})
    status = fields.String(metadata={"example": "success", "enum": list(RUN_STATUSES)})
    started_at = fields.DateTime(metadata={"example": "2026-11-25T16:00:00Z"})
    finished_at = fields.DateTime(allow_none=True, metadata={"example": "2026-11-25T16:00:02.5Z"})
    duration_seconds = fields.Float(allow_none=True, metadata={"example": 2.5})
    error = fields.String(allow_none=True, metadata={"example": None})


class Rename(Schema):
    expected = fields.String(metadata={"example": "current_price"})
    seen = fields.String(metadata={"example": "current_price_usd"})
    confidence = fields.Float(metadata={"example": 0.87})


class Drift(Schema):
    missing_required = fields.List(fields.String(), metadata={
        "description": "Required fields absent: the run failed"})
    missing_optional = fields.List(fields.String())
    unknown_fields = fields.List(fields.String(), metadata={"description": "Fields the source newly sends"})
    possible_renames = fields.List(fields.Nested(Rename))
    ignored_columns = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Per CSV file, the columns that were not read"})
    files_skipped = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Per CSV file skipped, why"})
    files_failed = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Per CSV file that failed, why"})


RUN_TRIGGERS = ("schedule", "api", "cli", "backfill")


class BackfillProgress(Schema):
    coins_total = fields.Integer(metadata={"example": 100})
    coins_done = fields.Integer(metadata={"example": 40})
    coins_left = fields.Integer(metadata={"example": 60})
    points_stored = fields.Integer(metadata={"example": 86400})
    requests = fields.Integer(metadata={"description": "Requests to the historical endpoint so far", "example": 40})
    coin = fields.String(metadata={"description": "The coin of the latest stored batch", "example": "bitcoin"})


class Run(LastRun):
    source = fields.String(metadata={"example": "csv", "enum": list(KNOWN_SOURCES)})
    trigger = fields.String(metadata={"example": "schedule", "enum": list(RUN_TRIGGERS)})
    progress = fields.Nested(BackfillProgress, allow_none=True, metadata={
        "description": "A backfill's progress (trigger backfill); null for the other runs"})
    pages_read = fields.Integer(metadata={"example": 0})
    bytes_read = fields.Integer(metadata={"example": 260000})
    drift = fields.Nested(Drift, metadata={"description": "Schema drift seen in the payloads: missing, new or "
                                                          "renamed fields; empty when none"})


class RunsQuery(QuerySchema):
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's runs, e.g. csv"})
    status = Name(validate=validate.OneOf(RUN_STATUSES),
                  metadata={"description": "Only runs with this status, e.g. failed"})
    trigger = Name(validate=validate.OneOf(RUN_TRIGGERS),
                   metadata={"description": "Only runs started this way, e.g. backfill"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200),
                           metadata={"description": "Runs per page (1-200)"})
    cursor = fields.String(validate=CURSOR_RULES,
                           metadata={"description": "Opaque cursor from a previous page's next_cursor"})
    page = fields.Integer(validate=validate.Range(min=1, max=1_000_000),
                          metadata={"description": "1-based page number (page mode; not with cursor)"})

    @validates_schema
    def one_paging_mode(self, data, **_):
        if "cursor" in data and "page" in data:
            raise ValidationError("give either cursor or page, not both", field_name="cursor")


class RunsEnvelope(Envelope):
    data = fields.List(fields.Nested(Run))
    limit = fields.Integer(metadata={"example": 20})
    next_cursor = fields.String(allow_none=True, metadata={"example": None})
    page = fields.Integer()
    total_records = fields.Integer()


class RunId(Schema):
    id = fields.Integer(required=True, strict=False, validate=validate.Range(min=1, max=MAX_ID),
                        metadata={"description": "The run's id", "example": 1, "format": "int64"})


class RejectReasonCount(Schema):
    reason = fields.String(metadata={"example": "price_usd is not a number: '1,5'"})
    count = fields.Integer(metadata={"example": 3})


class RunEnvelope(Run):
    request_id = fields.String()
    api_latency_ms = fields.Float()
    rejects_by_reason = fields.List(fields.Nested(RejectReasonCount), metadata={
        "description": "The run's rejects counted by reason, most frequent first (GET /rejects?run_id= lists "
                       "them)"})


class SourceStats(Schema):
    source = fields.String(metadata={"example": "csv"})
    runs = fields.Integer(metadata={"example": 24})
    successes = fields.Integer(metadata={"example": 23})
    failures = fields.Integer(metadata={"example": 1})
    last_success_at = fields.DateTime(allow_none=True)
    last_run = fields.Nested(LastRun, allow_none=True)


class RecordTotals(Schema):
    assets = fields.Integer(metadata={"example": 2990})
    history_rows = fields.Integer(metadata={"example": 71000})
    latest_rows = fields.Integer(metadata={"example": 5980})
    rejects = fields.Integer(metadata={"example": 10})
    raw_records = fields.Integer(metadata={"example": 72000})
    estimated = fields.Boolean(metadata={
        "description": "true when history_rows, rejects or raw_records come from PostgreSQL's statistics "
                       "(tables over 8 MB) rather than a count", "example": False})


class Stats(Envelope):
    total_runs = fields.Integer(metadata={"example": 72})
    total_records_processed = fields.Integer(metadata={"example": 216000})
    last_success = fields.DateTime(allow_none=True, metadata={"example": "2026-11-25T16:00:02Z"})
    last_failure = fields.DateTime(allow_none=True, metadata={"example": None})
    sources = fields.List(fields.Nested(SourceStats))
    records = fields.Nested(RecordTotals)


class StartedRun(Schema):
    source = fields.String(metadata={"example": "csv"})
    run_id = fields.Integer(allow_none=True, metadata={
        "description": "null when another process is running this source", "example": 43})


class EtlStarted(Envelope):
    runs = fields.List(fields.Nested(StartedRun))


class AssetPath(Schema):
    symbol = Symbol(required=True, validate=SYMBOL_RULES,
                    metadata={"description": "The symbol, case-insensitive", "example": "BTC"})


class SourceQuote(LaterQuoteFields):
    source = fields.String(metadata={"example": "coingecko"})
    coin_id = fields.String(metadata={"example": "bitcoin"})
    price_usd = fields.Decimal(metadata={"example": 88582.89})
    market_cap_usd = fields.Decimal(allow_none=True, metadata={"example": 1767228651784})
    volume_24h_usd = fields.Decimal(allow_none=True)
    observed_at = fields.DateTime(metadata={"example": "2026-11-20T21:00:00Z"})
    linked_by = fields.String(allow_none=True, metadata={"enum": ["rule", "curated"], "description": (
        "Why this coin is in this asset: the linking rule, or a curated link (ASSET_LINKS_PATH)")})
    link_reason = fields.String(allow_none=True, metadata={
        "example": "with coinpaprika:btc-bitcoin: names equal ('Bitcoin' / 'Bitcoin'); price agrees (...)"})


class AssetAcrossSources(Schema):
    asset_id = fields.Integer(metadata={"example": 1})
    symbol = fields.String(metadata={"example": "BTC"})
    name = fields.String(metadata={"example": "Bitcoin"})
    sources = fields.List(fields.Nested(SourceQuote))
    min_price_usd = fields.Decimal(metadata={"example": 88500.1})
    max_price_usd = fields.Decimal(metadata={"example": 88582.89})
    spread_pct = fields.Decimal(allow_none=True, metadata={
        "description": "(highest - lowest) / lowest * 100, six decimals; null when the lowest price is 0",
        "example": 0.093548})


class AssetsOfSymbol(Schema):
    symbol = fields.String(metadata={"example": "BTC"})
    assets = fields.List(fields.Nested(AssetAcrossSources))


class AssetEnvelope(Envelope):
    symbol = fields.String(metadata={"example": "BTC"})
    data = fields.Nested(AssetsOfSymbol)
    assets = fields.List(fields.Nested(AssetAcrossSources), metadata={
        "description": "The same list as `data.assets`, kept for clients of the first version"})


class CompareQuery(QuerySchema):
    a = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                       metadata={"description": "The baseline run's id", "example": 1, "format": "int64"})
    b = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID),
                       metadata={"description": "The run compared with it (same source)", "example": 2,
                                 "format": "int64"})


class RunSide(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(RUN_STATUSES)})
    rows_read = fields.Integer()
    rows_inserted = fields.Integer()
    rows_rejected = fields.Integer()
    duration_seconds = fields.Float(allow_none=True)
    started_at = fields.DateTime()
    input_unchanged = fields.Boolean(metadata={
        "description": "The run succeeded without reading anything: its input had not changed"})


class Anomalies(Schema):
    record_count_changed_by_more_than_half = fields.Boolean(metadata={
        "description": "The records b read differ from a's by more than half of a's (read: rows_read; a run "
                       "that found its input unchanged and read nothing new is compared by what it saw)"})
    duration_more_than_doubled = fields.Boolean(metadata={
        "description": "b took more than twice as long as a (both finished)"})
    success_turned_into_failure = fields.Boolean(metadata={"description": "a succeeded and b failed"})
    success_with_zero_rows = fields.Boolean(metadata={
        "description": "b succeeded but its input had no records at all (not: nothing changed)"})


class Comparison(Envelope):
    source = fields.String(metadata={"example": "coinpaprika"})
    a = fields.Nested(RunSide)
    b = fields.Nested(RunSide)
    rows_change_pct = fields.Float(allow_none=True, metadata={"example": -55.0})
    duration_ratio = fields.Float(allow_none=True, metadata={"example": 2.4})
    anomalies = fields.Nested(Anomalies)
    flags = fields.List(fields.String(), metadata={
        "description": "Names of the anomalies that hold", "example": ["record_count_changed_by_more_than_half"]})


class RejectsQuery(QuerySchema):
    source = Name(validate=validate.OneOf(KNOWN_SOURCES),
                  metadata={"description": "Only this source's rejects, e.g. csv"})
    run_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                            metadata={"description": "Only this run's rejects", "format": "int64"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "Rejects per page (1-500)"})
    cursor = fields.String(validate=CURSOR_RULES,
                           metadata={"description": "Opaque cursor from a previous page's next_cursor"})
    refused = {"page": "follow next_cursor"}


class RejectedRecord(Schema):
    id = fields.Integer(metadata={"example": 7, "format": "int64"})
    run_id = fields.Integer(metadata={"example": 1, "format": "int64"})
    source = fields.String(metadata={"example": "csv", "enum": list(KNOWN_SOURCES)})
    reason = fields.String(metadata={"example": "price_usd is not a number: '1,5'"})
    location = fields.String(metadata={
        "description": "CSV: file:line (1-based physical line); API sources: the coin id (or the item's "
                       "place in the payload when it has no usable id)", "example": "/data/quotes.csv:42"})
    raw = fields.String(metadata={
        "description": "The record as received: the CSV fields (comma-joined) or the API item's JSON",
        "example": "BTC,Bitcoin,\"1,5\",..."})
    rejected_at = fields.DateTime(metadata={"example": "2026-11-25T16:00:02Z"})


class RejectsEnvelope(Envelope):
    data = fields.List(fields.Nested(RejectedRecord))
    limit = fields.Integer(metadata={"example": 50})
    next_cursor = fields.String(allow_none=True, metadata={"example": None})
