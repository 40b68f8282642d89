"""CSV files: streamed in blocks of whole records, parsed with aiocsv, checkpointed by byte offset."""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import re
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiocsv
import aiofiles

from service.etl import drift
from service.etl import normalize as n
from service.etl.csv_blocks import HEAD_BYTES, Block, read_blocks, record_end
from service.etl.records import CSV_FIELDS, CSV_SPARE_COLUMNS, Batch, CsvText, DriftError, Reject, SourceError

log = logging.getLogger(__name__)
NAME = "csv"
REQUIRED = ("symbol", "name", "price_usd", "last_updated")
OPTIONAL = ("market_cap_usd", "volume_24h_usd", "percent_change_24h", "rank",
            "circulating_supply", "total_supply", "max_supply")
_RAW_LIMIT = 10_000
# Blocks go to PostgreSQL to parse and normalize (service/etl/csv_stage.py) unless this is off; the Python
# path (aiocsv + normalize.py) stays for blocks COPY cannot read and is the reference the SQL path is tested on.
SQL_PARSE = True
_PLAIN = bytes(range(0x20, 0x7f)) + b"\r\n"
# Where PostgreSQL and the csv module could split fields differently (a quote inside an unquoted field, text
# after a closing quote, a quoted field spanning lines), the block is parsed in Python.
_FIELD = rb'(?:"(?:[^"\n]|"")*"|[^",\n]*)'
_NOT_DECIMAL = re.compile(rb"_|0[xXoObB]")
# every byte that can be part of a decimal number as 9, any other as a comma (see _long_number)
_NUMBER_BYTES = bytes(ord("9") if chr(b) in "0123456789.eE+-" else ord(",") for b in range(256))
_WELL_QUOTED = re.compile(rb"(?:%s(?:,%s)*\n)*(?:%s(?:,%s)*)?" % ((_FIELD,) * 4))


class CsvSource:
    name = NAME

    def __init__(self, path: Path, *, block_bytes: int = 1 << 21, max_record_bytes: int = 1 << 20):
        self.path = path
        self.block_bytes = block_bytes
        self.max_record_bytes = max_record_bytes

    def files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.glob("*.csv") if p.is_file())
        if self.path.is_file():
            return [self.path]
        raise SourceError(f"CSV_PATH {str(self.path)!r} is neither a file nor a directory")

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        broken: list[DriftError] = []
        for path in self.files():
            try:
                async for batch in _FileReader(path, self).batches(checkpoints.get(str(path.resolve()))):
                    yield batch
            except DriftError as exc:  # the other files still load; the run fails at the end
                broken.append(exc)
        if broken:
            found: dict[str, Any] = {}
            for exc in broken:
                for key, value in exc.drift.items():
                    found.setdefault(key, {}).update(value)
            raise DriftError("; ".join(str(exc) for exc in broken), found)


class _FileReader:
    """One file from its checkpoint on: appended rows are read, a replaced file is read afresh."""

    def __init__(self, path: Path, source: CsvSource):
        self.path = path
        self.stream = str(path.resolve())
        self.source = source
        self.header: list[str] | None = None
        self.columns: dict[str, int] = {}
        self.size = 0

    async def batches(self, checkpoint: dict[str, Any] | None) -> AsyncIterator[Batch]:
        async with aiofiles.open(self.path, "rb") as handle:
            head = await handle.read(HEAD_BYTES)
            size = self.size = await handle.seek(0, io.SEEK_END)
            offset, line = 0, 0
            if checkpoint and await _same_file(handle, checkpoint, head, size):
                offset, line = checkpoint["offset"], checkpoint["line"]
                if checkpoint.get("header"):
                    self._use_header(checkpoint["header"])
                if offset >= size:
                    return
            elif checkpoint:
                log.info("CSV file was replaced; reading it afresh", extra={"file": self.stream})
            if size == 0:
                yield self._file_problem("empty file: no header row", head, 0)
                return
            await handle.seek(offset)
            async for block in read_blocks(handle, offset, line, self.source.block_bytes,
                                           self.source.max_record_bytes):
                batch = await self._batch(block, head)
                if batch is None:
                    return
                yield batch

    def _position(self, head: bytes, block_end: int, line: int, tail: bytes = b"",
                  skipped: str | None = None) -> dict:
        # head and tail (the bytes just before the offset) must both be unchanged for the file to count as
        # the same one grown by appending; anything else is a replaced file, read afresh
        return {
            "offset": block_end, "line": line, "header": self.header,
            "head_len": len(head), "head_sha256": hashlib.sha256(head).hexdigest(),
            "tail_len": len(tail), "tail_sha256": hashlib.sha256(tail).hexdigest(),
            **({"skipped": skipped} if skipped else {}),
        }

    def _file_problem(self, reason: str, head: bytes, line: int) -> Batch:
        """The whole file is passed over (checkpointed at its end) until it is replaced."""
        log.warning("CSV file skipped", extra={"file": self.stream, "reason": reason})
        return Batch(stream=self.stream, position=self._position(head, self.size, line, skipped=reason),
                     rejects=[Reject(f"{self.stream}:{max(line, 1)}", "", f"file skipped: {reason}")],
                     bytes=self.size, drift={"files_skipped": {self.stream: reason}})

    async def _batch(self, block: Block, head: bytes) -> Batch | None:
        tail = block.data[-HEAD_BYTES:]
        batch = Batch(stream=self.stream, position=self._position(head, block.end, block.end_line, tail),
                      bytes=block.end - block.start)
        batch.rejects.extend(Reject(f"{self.stream}:{ln}", raw, reason) for ln, raw, reason in block.problems)
        batch.rows_read += len(block.problems)
        if block.data:
            batch.raw_csv_blocks.append((datetime.now(timezone.utc), self.stream, block.start, block.end,
                                         block.start_line, hashlib.sha256(block.data).digest(), block.data))
        data, line, at_file_start = block.data, block.start_line, block.start == 0
        if self.header is None:
            data, line = await self._take_header(data, line, at_file_start)
            at_file_start = False
            if self.header is None:
                return batch
            batch.position = self._position(head, block.end, block.end_line, tail)
            ignored = [c for c in self.header if c not in REQUIRED + OPTIONAL]
            if ignored:
                log.warning("CSV columns ignored", extra={"file": self.stream, "columns": ignored})
                batch.drift = {"ignored_columns": {self.stream: ignored}}
        if not data:
            return batch
        if not SQL_PARSE or len(self.header) > len(CSV_SPARE_COLUMNS) \
                or (b'"' in data and not _WELL_QUOTED.fullmatch(data)):
            await self._parse_records(batch, data, line, at_file_start)
            return batch
        columns, order = self._stage_columns()
        plain_numbers = not _NOT_DECIMAL.search(data)
        batch.csv_text = CsvText(
            data=data, columns=columns, order=order, file=self.stream, line=line,
            plain=_plain(data), plain_numbers=plain_numbers, typed=plain_numbers and not _long_number(data),
            fallback=functools.partial(self._parse_records, batch), recheck=functools.partial(self._recheck, batch))
        return batch

    def _stage_columns(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Where COPY puts each file column: the stage column of its name (first occurrence) or a spare."""
        names = CSV_FIELDS + CSV_SPARE_COLUMNS
        spares = iter(CSV_SPARE_COLUMNS)
        columns = tuple(name if name in CSV_FIELDS and self.columns[name] == index else next(spares)
                        for index, name in enumerate(self.header))
        return columns, tuple(names.index(c) + 1 for c in columns)

    async def _take_header(self, data: bytes, line: int, at_file_start: bool) -> tuple[bytes, int]:
        """Reads the header (the first record that is not blank); returns the bytes after it and their line."""
        position = 0
        while position < len(data):
            end = record_end(data, position) or len(data)
            text, _ = _decode(data[position:end], at_file_start=at_file_start and position == 0)
            line += data.count(b"\n", position, end)
            position = end
            async for _, fields, error in _parse(text, line):
                self._read_header(fields, error)
                return data[position:], line
        return b"", line

    async def _parse_records(self, batch: Batch, data: bytes, line: int, at_file_start: bool = False) -> None:
        """The careful path: the csv module parses the records and normalize.py judges each one."""
        text, suspect = _decode(data, at_file_start=at_file_start)
        async for line_no, fields, error in _parse(text, line):
            batch.rows_read += 1
            if error is not None:
                batch.rejects.append(Reject(f"{self.stream}:{line_no}", _printable(fields), error))
                continue
            if suspect and any(_has_bad_bytes(f) for f in fields):
                batch.rejects.append(Reject(f"{self.stream}:{line_no}", _printable(fields),
                                            "row holds bytes that are not valid UTF-8"))
                continue
            self._judge(batch, line_no, fields)

    def _recheck(self, batch: Batch, records: list[tuple[int, list[str], str]]) -> None:
        for line_no, fields, reason in records:
            if reason == "?":
                self._judge(batch, line_no, fields)
            else:
                batch.rejects.append(Reject(f"{self.stream}:{line_no}", _printable(fields), reason))

    def _judge(self, batch: Batch, line_no: int, fields: list[str]) -> None:
        try:
            batch.quotes.append(self._normalize(fields))
        except n.Invalid as exc:
            batch.rejects.append(Reject(f"{self.stream}:{line_no}", _printable(fields), str(exc)))

    def _read_header(self, fields: list[str], error: str | None) -> None:
        """Takes the header row; one without the required columns fails the run, naming them (nothing loads)."""
        if error is not None:
            raise DriftError(f"CSV {self.stream}: unreadable header row: {error}",
                             {"files_failed": {self.stream: f"unreadable header row: {error}"}})
        names = [f.strip().lower().lstrip("\ufeff") for f in fields]
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            unknown = [c for c in names if c not in REQUIRED + OPTIONAL]
            renames = drift.renames(missing, unknown)
            hint = "".join(f"; {r['expected']!r} may have been renamed to {r['seen']!r} "
                           f"(confidence {r['confidence']})" for r in renames)
            raise DriftError(
                f"CSV {self.stream}: header lacks required column(s) {', '.join(missing)}{hint}; "
                "nothing of this file loaded",
                {"missing_required": {self.stream: missing},
                 **({"possible_renames": {self.stream: renames}} if renames else {})})
        self._use_header(names)

    def _use_header(self, names: list[str]) -> None:
        self.header = names
        self.columns = {}
        for index, column in enumerate(names):
            self.columns.setdefault(column, index)

    def _normalize(self, fields: list[str]) -> tuple:
        if len(fields) != len(self.header):
            kind = "short" if len(fields) < len(self.header) else "long"
            raise n.Invalid(f"{kind} row: {len(fields)} fields where the header has {len(self.header)}")
        if any("\x00" in f for f in fields):
            raise n.Invalid("row holds a NUL byte")
        c = self.columns
        symbol = n.symbol(fields[c["symbol"]])
        if not fields[c["name"]].strip():
            raise n.Invalid("name is empty")  # a required column: no falling back to the symbol here
        name = n.name(fields[c["name"]], symbol)
        coin_id, match_key = _identity(symbol, name)
        return (
            NAME, coin_id, n.timestamp(fields[c["last_updated"]]), match_key, symbol, name,
            n.rank(_optional(fields, c, "rank")),
            n.positive_price(fields[c["price_usd"]]),
            n.decimal(_optional(fields, c, "market_cap_usd"), "market_cap_usd"),
            n.decimal(_optional(fields, c, "volume_24h_usd"), "volume_24h_usd"),
            n.decimal(_optional(fields, c, "percent_change_24h"), "percent_change_24h", signed=True),
            n.decimal(_optional(fields, c, "circulating_supply"), "circulating_supply"),
            n.decimal(_optional(fields, c, "total_supply"), "total_supply"),
            n.decimal(_optional(fields, c, "max_supply"), "max_supply"),
        )


@functools.lru_cache(maxsize=65536)
def _identity(symbol: str, name: str) -> tuple[str, str]:
    """A CSV has no ids of its own: the coin id is the symbol and name slug, as CoinPaprika spells ids."""
    return f"{symbol.lower()}-{n.slug(name)}", n.match_key(symbol, name)


def _optional(fields: list[str], columns: dict[str, int], name: str) -> str | None:
    index = columns.get(name)
    return None if index is None else fields[index]


async def _same_file(handle, checkpoint: Mapping[str, Any], head: bytes, size: int) -> bool:
    head_len, offset = checkpoint.get("head_len", -1), checkpoint.get("offset", 0)
    if head_len > len(head) or size < offset:
        return False
    if hashlib.sha256(head[:head_len]).hexdigest() != checkpoint.get("head_sha256"):
        return False
    tail_len = checkpoint.get("tail_len", 0)
    if not tail_len or tail_len > offset:
        return True
    await handle.seek(offset - tail_len)
    return hashlib.sha256(await handle.read(tail_len)).hexdigest() == checkpoint.get("tail_sha256")


def _decode(data: bytes, *, at_file_start: bool) -> tuple[str, bool]:
    """The block's text, and whether some of it was not valid UTF-8 (kept as surrogate escapes)."""
    if at_file_start and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def _plain(data: bytes) -> bool:
    """Printable ASCII and line ends only (a carriage return only before a newline)."""
    return not data.translate(None, _PLAIN) and data.count(b"\r") == data.count(b"\r\n")


def _long_number(data: bytes) -> bool:
    """Whether some field might be a number over 64 characters (normalize.py refuses those; COPY reads them)."""
    return b"9" * 65 in data.translate(_NUMBER_BYTES)


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _printable(fields: list[str]) -> str:
    text = ",".join(fields).encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text[:_RAW_LIMIT]


class _TextStream:
    """The async read() aiocsv pulls from, over one block already in memory."""

    def __init__(self, text: str):
        self._io = io.StringIO(text)

    async def read(self, size: int = -1) -> str:
        return self._io.read(size)


async def _parse(text: str, start_line: int) -> AsyncIterator[tuple[int, list[str], str | None]]:
    """(last physical line, fields, error) per record; a block aiocsv cannot parse is retried line by line."""
    reader = aiocsv.AsyncReader(_TextStream(text))
    rows: list[tuple[int, list[str], str | None]] = []
    try:
        async for fields in reader:
            rows.append((start_line + reader.line_num, fields, None))
    except csv.Error:
        rows = []
        for number, line in enumerate(text.splitlines(), start=start_line + 1):
            try:
                rows.extend((number, fields, None) for fields in csv.reader([line]))
            except csv.Error as exc:
                rows.append((number, [line[:_RAW_LIMIT]], f"unparseable CSV: {exc}"))
    for row in rows:
        if row[1]:  # blank lines are no records
            yield row
