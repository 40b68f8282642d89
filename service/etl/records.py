"""What a source hands the pipeline: batches of normalized quotes, rejects and raw records."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Column order of the stage_quotes table; normalize builds tuples in this order.
QUOTE_COLUMNS = (
    "source", "coin_id", "observed_at", "match_key", "symbol", "name", "rank", "price_usd",
    "market_cap_usd", "volume_24h_usd", "percent_change_24h", "circulating_supply", "total_supply",
    "max_supply",
)
RAW_API_COLUMNS = ("source", "fetched_at", "coin_id", "content_hash", "payload")
RAW_CSV_COLUMNS = ("fetched_at", "file", "line_no", "content_hash", "fields")
REJECT_COLUMNS = ("run_id", "source", "record_ref", "raw", "reason")


class SourceError(Exception):
    """The source cannot deliver this run (network, upstream error, payload that breaks its schema)."""


class DriftError(SourceError):
    """A payload lacks fields its source must send; `drift` holds the findings recorded with the run."""

    def __init__(self, message: str, drift_found: dict):
        super().__init__(message)
        self.drift = drift_found


@dataclass(frozen=True, slots=True)
class Reject:
    record_ref: str
    raw: str
    reason: str


@dataclass(slots=True)
class Batch:
    """Records read since the previous batch and the checkpoint position right after them."""

    stream: str
    position: dict[str, Any]
    quotes: list[tuple] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    raw_api: list[tuple] = field(default_factory=list)
    raw_csv: list[tuple] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    pages: int = 0
    bytes: int = 0
    drift: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RunCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    pages: int = 0
    bytes: int = 0

    def as_args(self) -> tuple[int, ...]:
        return (self.read, self.inserted, self.updated, self.unchanged, self.rejected, self.pages, self.bytes)
