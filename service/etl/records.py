"""What a source hands the pipeline: batches of normalized quotes, rejects and raw records."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

# Column order of the stage_quotes table; normalize builds tuples in this order.
QUOTE_COLUMNS = (
    "source", "coin_id", "observed_at", "match_key", "symbol", "name", "rank", "price_usd",
    "market_cap_usd", "volume_24h_usd", "percent_change_24h", "circulating_supply", "total_supply",
    "max_supply",
)
# Further stage_quotes columns only the API sources fill (CSV quotes leave them null): their tuples are
# QUOTE_COLUMNS + EXTRA_QUOTE_COLUMNS long, and the batch says which columns its tuples have.
EXTRA_QUOTE_COLUMNS = ("percent_change_1h", "percent_change_7d", "ath_price_usd", "ath_at",
                       "fully_diluted_valuation_usd", "high_24h_usd", "low_24h_usd")
API_QUOTE_COLUMNS = QUOTE_COLUMNS + EXTRA_QUOTE_COLUMNS
RAW_API_COLUMNS = ("source", "fetched_at", "coin_id", "content_hash", "payload")
# The columns of stage_csv_text and stage_csv_typed: the CSV columns the source reads, then spares for any other
# file column; CSV_NUMBERS are numeric in stage_csv_typed.
CSV_FIELDS = ("symbol", "name", "price_usd", "last_updated", "market_cap_usd", "volume_24h_usd",
              "percent_change_24h", "rank", "circulating_supply", "total_supply", "max_supply")
CSV_SPARE_COLUMNS = tuple(f"x{i:02d}" for i in range(1, 33))
CSV_NUMBERS = ("price_usd", "market_cap_usd", "volume_24h_usd", "percent_change_24h", "rank",
               "circulating_supply", "total_supply", "max_supply")
REJECT_COLUMNS = ("run_id", "source", "location", "raw", "reason")


class SourceError(Exception):
    """The source cannot deliver this run (network, upstream error, payload that breaks its schema)."""


class DriftError(SourceError):
    """A payload lacks fields its source must send; `drift` holds the findings recorded with the run."""

    def __init__(self, message: str, drift_found: dict):
        super().__init__(message)
        self.drift = drift_found


@dataclass(frozen=True, slots=True)
class Reject:
    location: str  # CSV: file:line; API: the coin id (the item's index when it has none)
    raw: str
    reason: str


@dataclass(slots=True)
class CsvText:
    """CSV records for PostgreSQL to parse (COPY) and normalize (service/etl/csv_stage.py) in the batch's
    transaction; records it cannot read go to `fallback`, which parses them in Python into the batch."""

    data: bytes  # whole records, one per physical line (COPY must stage as many rows as there are lines)
    columns: tuple[str, ...]  # the stage_csv_text (and stage_csv_typed) column of each file column, in order
    order: tuple[int, ...]  # 1-based index of each of `columns` in CSV_FIELDS + CSV_SPARE_COLUMNS
    file: str
    line: int  # physical line just before the first record
    plain: bool  # the bytes are printable ASCII and newlines only
    plain_numbers: bool  # no '_' nor 0x / 0o / 0b anywhere: numbers can only be decimal
    # plain_numbers, and no run of more than 64 characters that could make a number: COPY may read the numbers
    # itself (stage_csv_typed), as Python's Decimal would
    typed: bool
    # parses, in Python, the records in these bytes (which follow the given physical line) into the batch
    fallback: Callable[[bytes, int], Awaitable[None]]
    # adds to the batch the (line, fields, reason) records the SQL did not stage, as rejects, in file order;
    # those with the reason '?' are judged in Python first
    recheck: Callable[[list[tuple[int, list[str], str]]], None]


@dataclass(slots=True)
class Batch:
    """Records read since the previous batch and the checkpoint position right after them."""

    stream: str
    position: dict[str, Any]
    quotes: list[tuple] = field(default_factory=list)
    quote_columns: tuple[str, ...] = QUOTE_COLUMNS
    rejects: list[Reject] = field(default_factory=list)
    raw_api: list[tuple] = field(default_factory=list)
    # (fetched_at, file, byte_start, byte_end, first_line, content_hash, content) per block of a CSV file
    raw_csv_blocks: list[tuple] = field(default_factory=list)
    csv_text: CsvText | None = None
    # set when csv_text was staged ahead on another connection: its quotes as COPY binary data, and how many
    staged_copy: bytes = b""
    staged: int = 0
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

    def with_batch(self, batch: Batch, staged: int, inserted: int, updated: int, rejected: int) -> RunCounts:
        """These counts plus one stored batch's (`staged`: quotes its CSV text staged in PostgreSQL)."""
        # read = inserted + unchanged + rejected: every valid record either adds an observation or repeats one
        return RunCounts(
            read=self.read + batch.rows_read, inserted=self.inserted + inserted, updated=self.updated + updated,
            unchanged=self.unchanged + len(batch.quotes) + staged - inserted + batch.rows_skipped,
            rejected=self.rejected + rejected, pages=self.pages + batch.pages, bytes=self.bytes + batch.bytes)

    def as_args(self) -> tuple[int, ...]:
        return (self.read, self.inserted, self.updated, self.unchanged, self.rejected, self.pages, self.bytes)
