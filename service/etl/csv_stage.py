"""Stages a CSV block in PostgreSQL: COPY into stage_csv_text, normalize into stage_quotes, Python for the rest."""
from __future__ import annotations

import collections
import logging
import re

import asyncpg

from service.etl.records import QUOTE_COLUMNS, Batch
from service.sql import SQL

log = logging.getLogger(__name__)
_COPY_CHUNK = 1 << 18
_COPY_LINE = re.compile(r"COPY stage_csv_text, line (\d+)")
# COPY is retried around this many unreadable records per block, then the rest of the block goes to Python
_MAX_SPLITS = 8


class _BadLine(Exception):
    """COPY could not read this line (1-based) of the data sent."""

    def __init__(self, line: int):
        super().__init__(f"COPY failed on line {line}")
        self.line = line


class _Misparsed(Exception):
    """COPY read another number of rows than the block has lines: a quoted field spans lines."""


async def stage_ahead(connection, source: str, batch: Batch) -> None:
    """Stages the batch's CSV text on this connection (not the one storing the batch) and keeps the quotes
    as COPY binary data in the batch, for the storing connection to stage in its own transaction."""
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    async with connection.transaction():  # commits nothing: both stage tables empty at commit
        staged = await stage_csv_text(connection, source, batch)
        if staged:
            await connection.copy_from_table("stage_quotes", columns=QUOTE_COLUMNS, output=keep, format="binary")
    batch.csv_text, batch.staged_copy, batch.staged = None, b"".join(chunks), staged


async def stage_batch_csv(connection, source: str, batch: Batch) -> int:
    """Puts the quotes of the batch's CSV text into stage_quotes, in the storing transaction: those staged ahead
    (as COPY binary data), or else by staging the text now; returns how many."""
    if batch.csv_text is not None:
        return await stage_csv_text(connection, source, batch)
    if batch.staged_copy:
        await connection.copy_to_table("stage_quotes", source=_chunks(batch.staged_copy), columns=QUOTE_COLUMNS,
                                       format="binary")
    return batch.staged


async def stage_csv_text(connection, source: str, batch: Batch) -> int:
    """PostgreSQL parses and normalizes the block into stage_quotes; returns how many quotes it staged. A record
    COPY cannot read (short or long row, bad UTF-8, NUL byte, blank line) is rolled back to the savepoint and
    parsed in Python, and COPY goes on around it; a block that keeps failing is parsed in Python as a whole.
    Rejects and Python-parsed quotes go to the batch, in file order."""
    text = batch.csv_text
    staged, splits = 0, 0
    pending = collections.deque([(text.data, text.line, True)])
    while pending:
        data, line, by_copy = pending.popleft()
        if not data:
            continue
        if not by_copy:
            await text.fallback(data, line)
            continue
        records = data.count(b"\n") + (not data.endswith(b"\n"))
        try:
            async with connection.transaction():
                try:
                    status = await connection.copy_to_table(
                        "stage_csv_text", source=_chunks(data), columns=text.columns, format="csv",
                        force_not_null=text.columns)
                except asyncpg.DataError as exc:
                    bad = _COPY_LINE.match(getattr(exc, "context", None) or "")
                    if bad is None or splits >= _MAX_SPLITS or not 1 <= int(bad[1]) <= records:
                        raise
                    raise _BadLine(int(bad[1])) from exc
                if int(status.rsplit(" ", 1)[-1]) != records:
                    raise _Misparsed(status)
                row = await connection.fetchrow(SQL.normalize_csv_stage, source, line, text.plain,
                                                text.plain_numbers, text.order)
                if pending:
                    await connection.execute(SQL.delete_stage_csv_text)
        except _BadLine as exc:
            splits += 1
            start, end = _line_start(data, exc.line), _line_start(data, exc.line + 1)
            pending.extendleft([(data[end:], line + exc.line, True), (data[start:end], line + exc.line - 1, False),
                                (data[:start], line, True)])
            continue
        except (asyncpg.DataError, _Misparsed) as exc:
            log.debug("CSV records parsed in Python", extra={"file": text.file, "line": line, "why": str(exc)})
            pending.appendleft((data, line, False))
            continue
        batch.rows_read += records
        if row["lines"]:
            text.recheck(list(zip(row["lines"], row["fields"], row["reasons"])))
        staged += row["staged"]
    return staged


def _line_start(data: bytes, line: int) -> int:
    """Offset of physical line `line` (1-based) in `data`; len(data) past the last one."""
    position = 0
    for _ in range(line - 1):
        position = data.find(b"\n", position) + 1
        if position == 0:
            return len(data)
    return position


async def _chunks(data: bytes):
    for start in range(0, len(data), _COPY_CHUNK):
        yield data[start:start + _COPY_CHUNK]
