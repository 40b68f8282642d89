"""The COPY way: PostgreSQL reads a block's records (numbers parsed by COPY itself) and normalizes them in SQL;
Python judges only what the SQL cannot vouch for, so the result is exactly the Python way's."""
from __future__ import annotations

import collections
import re
from collections.abc import Callable

import asyncpg

from service.etl.csv.columns import NUMERIC
from service.etl.csv.python_way import judge_time
from service.etl.csv.reader import CsvBlock
from service.sql import SQL

COPY_CHUNK = 1 << 18
_COPY_LINE = re.compile(r"COPY stage_csv, line (\d+)")
# COPY is retried around this many unreadable records per block, then the rest of the block goes to Python
MAX_SPLITS = 8
_PRINTABLE = bytes(range(0x20, 0x7f)) + b"\r\n"
# Where PostgreSQL and the csv module could split fields differently (a quote inside an unquoted field, text
# after a closing quote, a quoted field spanning lines), the block is read in Python.
_FIELD = rb'(?:"(?:[^"\n]|"")*"|[^",\n]*)'
_WELL_QUOTED = re.compile(rb"(?:%s(?:,%s)*\n)*(?:%s(?:,%s)*)?" % ((_FIELD,) * 4))
# a field the two readers may take differently: '1_000' (Decimal and PostgreSQL 16+ read it, 15 does not) and
# '0x1A', '0o17', '0b101' (PostgreSQL 16+ only); a few non-numbers match too, which costs only speed
_DISPUTED_NUMBER = re.compile(rb'\s*"?\s*[+-]?(?:0[xXoObB][0-9a-fA-F_]*|[0-9_.]+(?:[eE][+-]?[0-9_]*)?)\s*"?\s*')
# the digit 0 as 0 and the letters of a 0x/0o/0b prefix as x, every other byte as a space (see _disputed_number)
_PREFIX_BYTES = bytes(ord("0") if b == ord("0") else ord("x") if chr(b) in "xXoObB" else ord(" ") for b in range(256))
# every byte that can be part of a decimal number as 9, any other as a comma (see _long_number)
_NUMBER_BYTES = bytes(ord("9") if chr(b) in "0123456789.eE+-" else ord(",") for b in range(256))

# judges, in Python, the records in these bytes, which follow the given physical line
PythonJudge = Callable[[bytes, int], None]


def can_take(block: CsvBlock) -> bool:
    """Whether COPY reads this block's records and numbers as the csv module and Decimal do."""
    data = block.data
    return (block.header is not None and block.header.stage_columns() is not None
            and (b'"' not in data or _WELL_QUOTED.fullmatch(data) is not None)
            and not _disputed_number(data) and not _long_number(data))


class _BadLine(Exception):
    """COPY could not read this line (1-based) of the data sent."""

    def __init__(self, line: int):
        super().__init__(f"COPY failed on line {line}")
        self.line = line


class _Misparsed(Exception):
    """COPY read another number of rows than the part has lines: a quoted field spans lines."""


async def stage(connection, source: str, block: CsvBlock, judge_in_python: PythonJudge) -> tuple[int, int]:
    """Stages the block's valid records into stage_quotes; every other record goes to `judge_in_python`, in
    file order. Returns (quotes staged here, records read here).

    A record COPY cannot read (a value no number to PostgreSQL, a short or long row, bad UTF-8, a NUL byte) is
    rolled back to the savepoint and judged in Python, and COPY goes on around it; past MAX_SPLITS such records,
    or when COPY cannot say which record failed, the rest of the block is judged in Python."""
    columns = block.header.stage_columns()
    plain = _plain(block.data)
    staged = read = splits = 0
    pending = collections.deque([(block.data, block.line, True)])
    while pending:
        data, line, by_copy = pending.popleft()
        if not data:
            continue
        if not by_copy:
            judge_in_python(data, line)
            continue
        records = data.count(b"\n") + (not data.endswith(b"\n"))  # COPY reads one record per physical line
        try:
            async with connection.transaction():
                try:
                    status = await connection.copy_to_table(
                        "stage_csv", source=chunks(data), columns=columns, format="csv",
                        force_not_null=[c for c in columns if c not in NUMERIC])
                except asyncpg.DataError as exc:
                    bad = _COPY_LINE.match(getattr(exc, "context", None) or "")
                    if bad is None or splits >= MAX_SPLITS or not 1 <= int(bad[1]) <= records:
                        raise
                    raise _BadLine(int(bad[1])) from exc
                if _rows(status) != records:
                    raise _Misparsed(status)
                added, refused = await _normalize(connection, source, block, plain, line, records)
                if pending:  # the next part is normalized on its own
                    await connection.execute(SQL.delete_stage_csv)
        except _BadLine as exc:
            splits += 1
            start, end = _line_start(data, exc.line), _line_start(data, exc.line + 1)
            pending.extendleft([(data[end:], line + exc.line, True), (data[start:end], line + exc.line - 1, False),
                                (data[:start], line, True)])
            continue
        except (asyncpg.DataError, _Misparsed):
            pending.appendleft((data, line, False))
            continue
        staged += added
        read += records - len(refused)  # the Python way counts the records it judges
        if refused:
            lines = data.split(b"\n")
            for number in refused:
                judge_in_python(lines[number - line - 1] + b"\n", number - 1)
    return staged, read


async def _normalize(connection, source: str, block: CsvBlock, plain: bool, line: int,
                     records: int) -> tuple[int, list[int]]:
    """Normalizes stage_csv into stage_quotes; returns how many it staged and the lines of those it did not."""
    spellings = await connection.fetchval(SQL.select_csv_times)
    times = {raw: judge_time(raw, block.not_after) for raw in spellings}
    accepted = [raw for raw, moment in times.items() if moment is not None]
    nested_loops = await connection.fetchval(SQL.set_nested_loops, "off")
    staged = _rows(await connection.execute(SQL.normalize_csv_block, source, plain, accepted,
                                            [times[raw] for raw in accepted]))
    await connection.fetchval(SQL.set_nested_loops, nested_loops)
    if staged == records:
        return staged, []
    return staged, await connection.fetchval(SQL.select_csv_unstaged_lines, line)


def _plain(data: bytes) -> bool:
    """Printable ASCII and line ends only (a carriage return only before a newline)."""
    return not data.translate(None, _PRINTABLE) and data.count(b"\r") == data.count(b"\r\n")


def _disputed_number(data: bytes) -> bool:
    """Whether some field might be a number PostgreSQL and Decimal read differently. Such spellings are rare, so
    each place one could start (an underscore, a 0 before x/o/b) is found by a byte search (a regex over the block
    costs five times more) and only its field is matched."""
    prefixes = data.translate(_PREFIX_BYTES)
    for needle, text in ((b"_", data), (b"0x", prefixes)):
        at = text.find(needle)
        while at >= 0:
            start = max(data.rfind(b",", 0, at), data.rfind(b"\n", 0, at)) + 1
            ends = [end for end in (data.find(b",", at), data.find(b"\n", at)) if end >= 0]
            if _DISPUTED_NUMBER.fullmatch(data, start, min(ends, default=len(data))):
                return True
            at = text.find(needle, at + 1)
    return False


def _long_number(data: bytes) -> bool:
    """Whether some field might be a number over 64 characters (normalize.py refuses those; COPY reads them)."""
    return b"9" * 65 in data.translate(_NUMBER_BYTES)


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


async def chunks(data: bytes):
    for start in range(0, len(data), COPY_CHUNK):
        yield data[start:start + COPY_CHUNK]
