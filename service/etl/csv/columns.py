"""The CSV columns, declared once: the header check, both ways of staging and the stage_csv table follow them."""
from __future__ import annotations

from dataclasses import dataclass

REQUIRED = ("symbol", "name", "price_usd", "last_updated")
OPTIONAL = ("market_cap_usd", "volume_24h_usd", "percent_change_24h", "rank",
            "circulating_supply", "total_supply", "max_supply")
KNOWN = REQUIRED + OPTIONAL
# the columns COPY reads as numbers into stage_csv (the others stay text)
NUMERIC = ("price_usd", "market_cap_usd", "volume_24h_usd", "percent_change_24h", "rank",
           "circulating_supply", "total_supply", "max_supply")
# stage_csv columns for the file columns the source does not read (or reads twice); a file with more columns
# than KNOWN + SPARE can hold takes the Python way
SPARE = tuple(f"x{i:02d}" for i in range(1, 33))
# sql/create_stage_csv.sql in order, after its `ord`
STAGE_COLUMNS = KNOWN + SPARE


@dataclass(frozen=True, slots=True)
class Header:
    """A file's header row: its column names (trimmed, lower case) and where each known one is first found."""

    names: tuple[str, ...]
    index: dict[str, int]

    @classmethod
    def of(cls, names: list[str]) -> Header:
        index: dict[str, int] = {}
        for position, column in enumerate(names):
            index.setdefault(column, position)
        return cls(tuple(names), index)

    def missing(self) -> list[str]:
        return [c for c in REQUIRED if c not in self.names]

    def ignored(self) -> list[str]:
        return [c for c in self.names if c not in KNOWN]

    def stage_columns(self) -> tuple[str, ...] | None:
        """The stage_csv column COPY fills from each file column (a spare for any column read elsewhere), or
        None when the spares cannot hold the others."""
        if len(self.names) > len(SPARE):
            return None
        index, spares = self.index, iter(SPARE)
        return tuple(name if name in KNOWN and index[name] == position else next(spares)
                     for position, name in enumerate(self.names))
