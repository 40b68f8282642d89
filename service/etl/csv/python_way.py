"""The Python reference way: the csv module reads records and normalize.py judges each one, exactly and simply."""
from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from datetime import datetime

from service.etl import normalize as n
from service.etl.csv.columns import Header
from service.etl.records import QUOTE, Reject

NAME = "csv"
_RAW_LIMIT = 10_000


def decode(data: bytes) -> tuple[str, bool]:
    """The bytes' text, and whether some of it was not valid UTF-8 (kept as surrogate escapes)."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def parse(text: str, start_line: int) -> Iterator[tuple[int, list[str], str | None]]:
    """(last physical line, fields, error) per record; text the csv module cannot parse is retried line by line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str], str | None]] = []
    try:
        rows.extend((start_line + reader.line_num, fields, None) for fields in reader)
    except csv.Error:
        rows = []
        for number, line in enumerate(text.splitlines(), start=start_line + 1):
            try:
                rows.extend((number, fields, None) for fields in csv.reader([line]))
            except csv.Error as exc:
                rows.append((number, [line[:_RAW_LIMIT]], f"unparseable CSV: {exc}"))
    return (row for row in rows if row[1])  # blank lines are no records


def judge(file: str, header: Header, data: bytes, line: int, not_after: datetime,
          quotes: list[tuple], rejects: list[Reject]) -> int:
    """Adds the quotes and rejects of the records in `data` (which follows physical line `line`) in file order;
    returns how many records were read."""
    text, suspect = decode(data)
    read = 0
    for line_no, fields, error in parse(text, line):
        read += 1
        if error is None and suspect and any(_has_bad_bytes(f) for f in fields):
            error = "row holds bytes that are not valid UTF-8"
        if error is None:
            try:
                quotes.append(normalize_record(header, fields, not_after))
                continue
            except n.Invalid as exc:
                error = str(exc)
        rejects.append(Reject(f"{file}:{line_no}", printable(fields), error))
    return read


def normalize_record(header: Header, fields: list[str], not_after: datetime) -> tuple:
    """One record as a stage_quotes row (records.QUOTE); raises normalize.Invalid with the reason."""
    if len(fields) != len(header.names):
        kind = "short" if len(fields) < len(header.names) else "long"
        raise n.Invalid(f"{kind} row: {len(fields)} fields where the header has {len(header.names)}")
    if any("\x00" in f for f in fields):
        raise n.Invalid("row holds a NUL byte")
    c = header.index

    def optional(name: str) -> str | None:
        return fields[c[name]] if name in c else None

    symbol = n.symbol(fields[c["symbol"]])
    if not fields[c["name"]].strip():
        raise n.Invalid("name is empty")  # a required column: no falling back to the symbol here
    name = n.name(fields[c["name"]], symbol)
    coin_id, match_key = _identity(symbol, name)
    return QUOTE.row(
        source=NAME, coin_id=coin_id, observed_at=n.not_future(n.timestamp(fields[c["last_updated"]]), not_after),
        match_key=match_key, symbol=symbol, name=name, rank=n.rank(optional("rank")),
        price_usd=n.positive_price(fields[c["price_usd"]]),
        market_cap_usd=n.decimal(optional("market_cap_usd"), "market_cap_usd"),
        volume_24h_usd=n.decimal(optional("volume_24h_usd"), "volume_24h_usd"),
        percent_change_24h=n.decimal(optional("percent_change_24h"), "percent_change_24h", signed=True),
        circulating_supply=n.decimal(optional("circulating_supply"), "circulating_supply"),
        total_supply=n.decimal(optional("total_supply"), "total_supply"),
        max_supply=n.decimal(optional("max_supply"), "max_supply"),
    )


def judge_time(raw: str, not_after: datetime) -> datetime | None:
    """The time of a last_updated spelling as normalize_record reads it, or None when it would refuse it."""
    try:
        return n.not_future(n.timestamp(raw), not_after)
    except n.Invalid:
        return None


@functools.lru_cache(maxsize=65536)
def _identity(symbol: str, name: str) -> tuple[str, str]:
    """A CSV has no ids of its own: the coin id is the symbol and name slug, as CoinPaprika spells ids."""
    return f"{symbol.lower()}-{n.slug(name)}", n.match_key(symbol, name)


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def printable(fields: list[str]) -> str:
    text = ",".join(fields).encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text[:_RAW_LIMIT]
