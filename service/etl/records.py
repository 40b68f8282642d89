"""What a source hands the pipeline (batches) and what a stager hands back (staged quotes, rejects, counts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class QuoteShape:
    """The quote, declared once: its stage_quotes columns in order. Sources build a quote by keyword
    (`shape.row(price_usd=..., ...)`, a column not given is null); the SQL that moves quotes on lists the same
    columns (tests/unit/test_quote_shape.py holds the SQL files and the API schema to this declaration)."""

    def __init__(self, *columns: str):
        self.columns = columns
        self._known = frozenset(columns)

    def row(self, **values: Any) -> tuple:
        if not self._known.issuperset(values):
            raise TypeError(f"no quote column {', '.join(sorted(set(values) - self._known))}")
        return tuple(map(values.get, self.columns))

    def __add__(self, more: tuple[str, ...]) -> QuoteShape:
        return QuoteShape(*self.columns, *more)


# What every source gives (CSV quotes stop here): identity, names, the figures of the listing.
QUOTE = QuoteShape(
    "source", "coin_id", "observed_at", "match_key", "symbol", "name", "rank", "price_usd",
    "market_cap_usd", "volume_24h_usd", "percent_change_24h", "circulating_supply", "total_supply",
    "max_supply",
)
# What the API sources add.
API_QUOTE = QUOTE + ("percent_change_1h", "percent_change_7d", "ath_price_usd", "ath_at",
                     "fully_diluted_valuation_usd", "high_24h_usd", "low_24h_usd")
QUOTE_COLUMNS = QUOTE.columns
API_QUOTE_COLUMNS = API_QUOTE.columns
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


@dataclass(frozen=True, slots=True)
class Batch:
    """Records read since the previous batch and the checkpoint position right after them.

    `payload` is the source's own: only that source's stager reads it."""

    stream: str
    position: dict[str, Any]
    payload: Any = None
    pages: int = 0
    bytes: int = 0
    drift: dict[str, Any] = field(default_factory=dict)
    # a backfill's progress after this batch (coins done and left), recorded with the run in its transaction
    progress: dict[str, Any] | None = None
    # the positions of further streams this batch moves (a backfill's batch may hold several coins)
    more_positions: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Staged:
    """One batch staged: `quotes` valid records are in stage_quotes; the others are `rejects`, in their order."""

    read: int
    quotes: int
    rejects: tuple[Reject, ...] = ()
    # valid records not staged because the coin already has this observation or a newer one
    skipped: int = 0
    # every staged quote fills a bucket the history lacked when the batch was planned (a backfill's)
    missing: bool = False


@dataclass(frozen=True, slots=True)
class RunCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    pages: int = 0
    bytes: int = 0

    def with_batch(self, batch: Batch, staged: Staged, inserted: int, updated: int) -> RunCounts:
        """These counts plus one stored batch's."""
        # read = inserted + unchanged + rejected: every valid record either adds an observation or repeats one
        return RunCounts(
            read=self.read + staged.read, inserted=self.inserted + inserted, updated=self.updated + updated,
            unchanged=self.unchanged + staged.quotes - inserted + staged.skipped,
            rejected=self.rejected + len(staged.rejects), pages=self.pages + batch.pages,
            bytes=self.bytes + batch.bytes)

    def as_args(self) -> tuple[int, ...]:
        return (self.read, self.inserted, self.updated, self.unchanged, self.rejected, self.pages, self.bytes)
