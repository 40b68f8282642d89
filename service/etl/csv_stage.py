"""Stages a CSV block in PostgreSQL: COPY (numbers parsed by COPY itself where it reads them as Python does, else
all text), normalize into stage_quotes in SQL, Python for the records SQL cannot vouch for."""
from __future__ import annotations

import collections
import logging
import re

import asyncpg

from service.etl.records import CSV_NUMBERS, QUOTE_COLUMNS, Batch, CsvText
from service.sql import SQL

log = logging.getLogger(__name__)
_COPY_CHUNK = 1 << 18
_COPY_LINE = re.compile(r"COPY stage_csv_\w+, line (\d+)")
# past 1 record in this many refused (and more than _FEW_REFUSED), a part of a block takes the text way: Python
# judging each refused record costs more than the text way's SQL
_MOST_REFUSED = 16
_FEW_REFUSED = 16
# the per-connection staging tables a CSV block needs (the statements creating them)
CSV_STAGE_TABLES = (SQL.create_stage_quotes, SQL.create_stage_csv_text, SQL.create_stage_csv_typed)
# the ways a part of a CSV block can be staged, quickest first (see stage_csv_text)
_TYPED, _TEXT, _PYTHON = "typed", "text", "python"
# COPY is retried around this many unreadable records per block, then the rest of the block goes to Python
_MAX_SPLITS = 8


class _BadLine(Exception):
    """COPY could not read this line (1-based) of the data sent."""

    def __init__(self, line: int):
        super().__init__(f"COPY failed on line {line}")
        self.line = line


class _Misparsed(Exception):
    """COPY read another number of rows than the block has lines: a quoted field spans lines."""


class _ManyRefused(Exception):
    """The typed way refused so many records that the text way, which writes most reasons in SQL, is cheaper."""


async def stage_ahead(connection, source: str, run_id: int, batch: Batch) -> None:
    """Stages the batch's CSV text on this connection (not the one storing the batch) and keeps the quotes
    as COPY binary data in the batch, for the storing connection to stage in its own transaction.

    The batch's raw blocks are stored here and now, each in a transaction of its own: a block is stored once
    whoever stores it (its content hash is unique), so one stored before its batch (lost with a crash, say) is
    neither lost nor doubled when the batch is read again, and the storing connection has that much less to do."""
    for block in batch.raw_csv_blocks:
        await connection.execute(SQL.insert_raw_csv_block, run_id, *block)
    batch.raw_csv_blocks = []
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
    """PostgreSQL parses and normalizes the block into stage_quotes; returns how many quotes it staged.

    Each part of the block goes the quickest way that can take it. TYPED: COPY reads the numbers itself
    (stage_csv_typed; only for blocks whose numbers it reads as Python's Decimal does), sql/normalize_csv_typed.sql
    checks and normalizes the rest, and Python judges the records it did not stage. TEXT: COPY stages text
    (stage_csv_text) and sql/normalize_csv_stage.sql normalizes it, writing most reject reasons itself. PYTHON:
    the csv module and normalize.py. A record COPY cannot read (a value no number to PostgreSQL, a short or long
    row, bad UTF-8, a NUL byte) is rolled back to the savepoint and parsed in Python, and COPY goes on around it;
    past _MAX_SPLITS such records, or when COPY cannot say which record failed, the rest takes the next way.
    Rejects and Python-parsed quotes go to the batch, in file order."""
    text = batch.csv_text
    staged, splits = 0, 0
    pending = collections.deque([(text.data, text.line, _TYPED if text.typed else _TEXT)])
    while pending:
        data, line, way = pending.popleft()
        if not data:
            continue
        if way == _PYTHON:
            await text.fallback(data, line)
            continue
        records = _records(data)
        try:
            async with connection.transaction():
                try:
                    status = await connection.copy_to_table(
                        f"stage_csv_{way}", source=_chunks(data), columns=text.columns, format="csv",
                        force_not_null=[c for c in text.columns if way == _TEXT or c not in CSV_NUMBERS])
                except asyncpg.DataError as exc:
                    bad = _COPY_LINE.match(getattr(exc, "context", None) or "")
                    if bad is None or splits >= _MAX_SPLITS or not 1 <= int(bad[1]) <= records:
                        raise
                    raise _BadLine(int(bad[1])) from exc
                if _rows(status) != records:
                    raise _Misparsed(status)
                if way == _TYPED:
                    added, rejected = await _normalize_typed(connection, source, text, line, records)
                else:
                    added, rejected = await _normalize_text(connection, source, text, line)
                if pending:  # the next part is normalized on its own
                    await connection.execute(SQL.delete_stage_csv_typed if way == _TYPED else SQL.delete_stage_csv_text)
        except _BadLine as exc:
            splits += 1
            start, end = _line_start(data, exc.line), _line_start(data, exc.line + 1)
            pending.extendleft([(data[end:], line + exc.line, way), (data[start:end], line + exc.line - 1, _PYTHON),
                                (data[:start], line, way)])
            continue
        except (asyncpg.DataError, _Misparsed, _ManyRefused) as exc:
            log.debug("CSV records staged another way", extra={"file": text.file, "line": line, "why": str(exc)})
            pending.appendleft((data, line, _TEXT if way == _TYPED else _PYTHON))
            continue
        staged += added
        if way == _TYPED:
            batch.rows_read += records - len(rejected)  # Python counts the records it judges
            await _judge_lines(text, data, line, rejected)
        else:
            batch.rows_read += records
            text.recheck(rejected)
    return staged


async def _normalize_typed(connection, source: str, text: CsvText, line: int, records: int):
    nested_loops = await connection.fetchval(SQL.set_nested_loops, "off")
    staged = _rows(await connection.execute(SQL.normalize_csv_typed, source, text.plain))
    await connection.fetchval(SQL.set_nested_loops, nested_loops)
    if staged == records:
        return staged, []
    if records - staged > max(records // _MOST_REFUSED, _FEW_REFUSED):
        raise _ManyRefused(f"{records - staged} of {records} records refused")
    return staged, await connection.fetchval(SQL.select_csv_typed_unstaged, line)


async def _normalize_text(connection, source: str, text: CsvText, line: int):
    row = await connection.fetchrow(SQL.normalize_csv_stage, source, line, text.plain, text.plain_numbers,
                                    text.order)
    return row["staged"], list(zip(row["lines"], row["fields"], row["reasons"])) if row["lines"] else []


async def _judge_lines(text: CsvText, data: bytes, line: int, lines: list[int]) -> None:
    """normalize.py judges these physical lines of `data` (which follows `line`; one record a line), in order."""
    data_lines = data.split(b"\n")
    for number in lines:
        await text.fallback(data_lines[number - line - 1] + b"\n", number - 1)


def _records(data: bytes) -> int:
    """Records in a block COPY may read: one per physical line."""
    return data.count(b"\n") + (not data.endswith(b"\n"))


def _rows(status: str) -> int:
    """The row count of a command status ('COPY 12', 'INSERT 0 12')."""
    return int(status.rsplit(" ", 1)[-1])


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
