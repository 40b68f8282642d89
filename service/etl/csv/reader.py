"""One CSV file from its checkpoint on, as batches of whole records: appended rows are read, a replaced file afresh."""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiocsv
import aiofiles

from service.etl import drift
from service.etl.csv.blocks import HEAD_BYTES, Block, read_blocks, record_end
from service.etl.csv.columns import Header
from service.etl.records import Batch, DriftError, Reject

log = logging.getLogger(__name__)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class CsvBlock:
    """A CSV batch's payload: the records of one block after the header, for the CSV stager."""

    file: str
    header: Header | None  # None only when the file holds no records to read
    data: bytes  # whole records
    line: int  # physical line just before the first record of `data`
    not_after: datetime  # a record stamped later is refused as future
    # (fetched_at, file, byte_start, byte_end, first_line, content_hash, content): the block as read, or None
    raw: tuple | None = None
    # records refused before parsing (over-long ones), each counted as read
    refused: tuple[Reject, ...] = ()
    # the whole file passed over (not counted as read)
    file_skipped: Reject | None = None


@dataclass(slots=True)
class FileReader:
    path: Path
    block_bytes: int
    max_record_bytes: int
    future_tolerance: float
    header: Header | None = None
    size: int = 0
    # the header record as aiocsv read it from the file: its fields and the line ends up to its end
    header_record: tuple[list[str], int] | None = None

    @property
    def stream(self) -> str:
        return str(self.path.resolve())

    async def batches(self, checkpoint: dict[str, Any] | None) -> AsyncIterator[Batch]:
        async with aiofiles.open(self.path, "rb") as handle:
            head = await handle.read(HEAD_BYTES)
            size = self.size = await handle.seek(0, io.SEEK_END)
            offset, line = 0, 0
            if checkpoint and await _same_file(handle, checkpoint, head, size):
                offset, line = checkpoint["offset"], checkpoint["line"]
                if checkpoint.get("header"):
                    self.header = Header.of(checkpoint["header"])
                if offset >= size:
                    return
            elif checkpoint:
                log.info("CSV file was replaced; reading it afresh", extra={"file": self.stream})
            if size == 0:
                yield self._file_problem("empty file: no header row", head, 0)
                return
            if self.header is None:
                self.header_record = await self._read_header_record(handle)
            await handle.seek(offset)
            async for block in read_blocks(handle, offset, line, self.block_bytes, self.max_record_bytes):
                yield self._batch(block, head)

    def _position(self, head: bytes, block_end: int, line: int, tail: bytes = b"",
                  skipped: str | None = None) -> dict:
        # head and tail (the bytes just before the offset) must both be unchanged for the file to count as
        # the same one grown by appending; anything else is a replaced file, read afresh
        return {
            "offset": block_end, "line": line, "header": list(self.header.names) if self.header else None,
            "head_len": len(head), "head_sha256": hashlib.sha256(head).hexdigest(),
            "tail_len": len(tail), "tail_sha256": hashlib.sha256(tail).hexdigest(),
            **({"skipped": skipped} if skipped else {}),
        }

    def _not_after(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.future_tolerance)

    def _file_problem(self, reason: str, head: bytes, line: int) -> Batch:
        """The whole file is passed over (checkpointed at its end) until it is replaced."""
        log.warning("CSV file skipped", extra={"file": self.stream, "reason": reason})
        skipped = Reject(f"{self.stream}:{max(line, 1)}", "", f"file skipped: {reason}")
        return Batch(stream=self.stream, position=self._position(head, self.size, line, skipped=reason),
                     payload=CsvBlock(self.stream, None, b"", line, self._not_after(), file_skipped=skipped),
                     bytes=self.size, drift={"files_skipped": {self.stream: reason}})

    def _batch(self, block: Block, head: bytes) -> Batch:
        refused = tuple(Reject(f"{self.stream}:{ln}", raw, reason) for ln, raw, reason in block.problems)
        raw = (datetime.now(timezone.utc), self.stream, block.start, block.end, block.start_line,
               hashlib.sha256(block.data).digest(), block.data) if block.data else None
        data, line, found = block.data, block.start_line, {}
        if self.header is None:
            data, line = self._take_header(block)
            ignored = self.header.ignored() if self.header else []
            if ignored:
                log.warning("CSV columns ignored", extra={"file": self.stream, "columns": ignored})
                found = {"ignored_columns": {self.stream: ignored}}
        return Batch(stream=self.stream,
                     position=self._position(head, block.end, block.end_line, block.data[-HEAD_BYTES:]),
                     payload=CsvBlock(self.stream, self.header, data if self.header else b"", line,
                                      self._not_after(), raw, refused),
                     bytes=block.end - block.start, drift=found)

    async def _read_header_record(self, handle) -> tuple[list[str], int] | None:
        """The first record that is not blank, as aiocsv streams it from the file (a BOM dropped), with the line
        ends up to its end; None when the file holds no record. Only that record is read, however it is quoted."""
        # surrogateescape: bytes that are not UTF-8, in the header or in rows the text buffer reads ahead, must
        # not stop the reading; the header check below judges them
        async with aiofiles.open(self.path, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
            # opened by name, so it must be the very file `handle` reads, or the rows would get another file's header
            if _identity(text.fileno()) != _identity(handle.fileno()):
                raise self._unreadable("the file was replaced while it was read")
            reader = aiocsv.AsyncReader(text)
            try:
                async for fields in reader:
                    if fields:
                        return fields, reader.line_num
            except csv.Error as exc:
                raise self._unreadable(f"unparseable CSV: {exc}") from None
        return None

    def _take_header(self, block: Block) -> tuple[bytes, int]:
        """Finds where the header ends in the block's bytes (the first record that is not blank, ended as the
        block reader ends records) and takes the header aiocsv read, which must end there too; returns the bytes
        after it and their line."""
        data = block.data
        position = len(_BOM) if block.start == 0 and data.startswith(_BOM) else 0
        while position < len(data):
            end = record_end(data, position) or len(data)
            if data[position:end].strip(b"\r\n"):
                if self.header_record is None or self.header_record[1] != block.start_line + _line_ends(data[:end]):
                    raise self._unreadable("its end is unclear (a quote that does not pair up, or line ends that "
                                           "are lone carriage returns)")
                self._read_header(self.header_record[0])
                return data[end:], block.start_line + data.count(b"\n", 0, end)
            position = end
        return b"", block.start_line + data.count(b"\n")

    def _unreadable(self, reason: str) -> DriftError:
        return DriftError(f"CSV {self.stream}: unreadable header row: {reason}",
                          {"files_failed": {self.stream: f"unreadable header row: {reason}"}})

    def _read_header(self, fields: list[str]) -> None:
        """Takes the header row; one without the required columns fails the run, naming them (nothing loads)."""
        names = [f.strip().lower().lstrip("\ufeff") for f in fields]
        header = Header.of(names)
        missing = header.missing()
        if missing:
            renames = drift.renames(missing, header.ignored())
            hint = "".join(f"; {r['expected']!r} may have been renamed to {r['seen']!r} "
                           f"(confidence {r['confidence']})" for r in renames)
            renames = [{**r, "seen": _storable(r["seen"])} for r in renames]
            raise DriftError(
                f"CSV {self.stream}: header lacks required column(s) {', '.join(missing)}{hint}; "
                "nothing of this file loaded",
                {"missing_required": {self.stream: missing},
                 **({"possible_renames": {self.stream: renames}} if renames else {})})
        # no known column has such a name, so an ignored one is merely renamed for the checkpoint and drift (JSON)
        self.header = Header.of([_storable(name) for name in names])


def _line_ends(data: bytes) -> int:
    """Line ends as csv readers count them: a newline, a CR-LF pair or a lone carriage return each end a line."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _storable(name: str) -> str:
    """A column name as JSON text can hold it: bytes that were not UTF-8 as \\xNN escapes, NUL as \\x00."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def _identity(fd: int) -> tuple[int, int]:
    stat = os.fstat(fd)
    return stat.st_dev, stat.st_ino


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
