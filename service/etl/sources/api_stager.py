"""Stages an API source's batch: its normalized records and raw payloads, each COPYed in one go."""
from __future__ import annotations

import io
from dataclasses import dataclass

from service.etl.records import Batch, Reject, Staged
from service.sql import SQL

RAW_API_COLUMNS = ("source", "fetched_at", "coin_id", "content_hash", "payload")


@dataclass(frozen=True, slots=True)
class ApiRecords:
    """An API batch's payload: what normalize.py made of each item of one upstream response."""

    read: int
    columns: tuple[str, ...]  # the stage_quotes column of each value of a quote
    quotes: tuple[tuple, ...]
    rejects: tuple[Reject, ...]
    raw: tuple[tuple, ...]  # RAW_API_COLUMNS per quote
    skipped: int  # coins whose observation is not newer than the stored one


class ApiStager:
    """COPY of records: the API sources normalize in Python, so staging is copying."""

    def __init__(self, run_id: int):
        self.run_id = run_id

    async def prepare(self, connection) -> None:
        await connection.execute(SQL.create_stage_raw_api)

    async def keep_raw(self, connection, batch: Batch) -> None:
        records: ApiRecords = batch.payload
        if records.raw:
            await connection.copy_records_to_table("stage_raw_api", records=records.raw, columns=RAW_API_COLUMNS)
            await connection.fetchval(SQL.insert_raw_api_records, self.run_id)

    async def stage(self, connection, batch: Batch) -> Staged:
        records: ApiRecords = batch.payload
        if records.quotes:
            await connection.copy_records_to_table("stage_quotes", records=records.quotes, columns=records.columns)
        return Staged(read=records.read, quotes=len(records.quotes), rejects=records.rejects, skipped=records.skipped)


class HistoryStager(ApiStager):
    """A historical batch's points: COPYed in text format straight into stage_quotes, PostgreSQL reading their
    numbers (the digits as sent) as numeric: no numeric is encoded in Python, no second table is filled."""

    async def stage(self, connection, batch: Batch) -> Staged:
        records: ApiRecords = batch.payload
        if records.quotes:
            await connection.copy_to_table("stage_quotes", source=io.BytesIO(_copy_text(records.quotes)),
                                           columns=records.columns, format="text")
        return Staged(read=records.read, quotes=len(records.quotes), rejects=records.rejects, skipped=records.skipped,
                      missing=True)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _copy_text(rows: tuple[tuple, ...]) -> bytes:
    """COPY's text format of historical points (history.HISTORY_COLUMNS: source, coin_id, observed_at,
    match_key, symbol, name, then the numbers' digits, which need no escaping; None is \\N)."""
    names: dict[str, tuple[str, str]] = {}  # each coin's escaped text fields, made once
    lines = []
    for source, coin, at, match_key, symbol, name, price, cap, volume in rows:
        texts = names.get(coin)
        if texts is None:
            texts = names[coin] = (f"{_escape(source)}\t{_escape(coin)}",
                                   f"{_escape(match_key)}\t{_escape(symbol)}\t{_escape(name)}")
        lines.append(f"{texts[0]}\t{at.isoformat()}\t{texts[1]}\t{price}\t{_NULL if cap is None else cap}\t"
                     f"{_NULL if volume is None else volume}\n")
    return "".join(lines).encode()


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)
