"""One CSV file from its checkpoint on, as batches of whole records: appended rows are read, a replaced file afresh."""
from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiofiles

from service.etl import drift
from service.etl.csv.blocks import HEAD_BYTES, Block, read_blocks, record_end
from service.etl.csv.columns import Header
from service.etl.csv.python_way import decode, parse
from service.etl.records import Batch, DriftError, Reject

log = logging.getLogger(__name__)


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
            data, line = self._take_header(data, line, at_file_start=block.start == 0)
            ignored = self.header.ignored() if self.header else []
            if ignored:
                log.warning("CSV columns ignored", extra={"file": self.stream, "columns": ignored})
                found = {"ignored_columns": {self.stream: ignored}}
        return Batch(stream=self.stream,
                     position=self._position(head, block.end, block.end_line, block.data[-HEAD_BYTES:]),
                     payload=CsvBlock(self.stream, self.header, data if self.header else b"", line,
                                      self._not_after(), raw, refused),
                     bytes=block.end - block.start, drift=found)

    def _take_header(self, data: bytes, line: int, at_file_start: bool) -> tuple[bytes, int]:
        """Reads the header (the first record that is not blank); returns the bytes after it and their line."""
        position = 0
        while position < len(data):
            end = record_end(data, position) or len(data)
            text, _ = decode(data[position:end], at_file_start=at_file_start and position == 0)
            line += data.count(b"\n", position, end)
            position = end
            for _, fields, error in parse(text, line):
                self._read_header(fields, error)
                return data[position:], line
        return b"", line

    def _read_header(self, fields: list[str], error: str | None) -> None:
        """Takes the header row; one without the required columns fails the run, naming them (nothing loads)."""
        if error is not None:
            raise DriftError(f"CSV {self.stream}: unreadable header row: {error}",
                             {"files_failed": {self.stream: f"unreadable header row: {error}"}})
        header = Header.of([f.strip().lower().lstrip("\ufeff") for f in fields])
        missing = header.missing()
        if missing:
            renames = drift.renames(missing, header.ignored())
            hint = "".join(f"; {r['expected']!r} may have been renamed to {r['seen']!r} "
                           f"(confidence {r['confidence']})" for r in renames)
            raise DriftError(
                f"CSV {self.stream}: header lacks required column(s) {', '.join(missing)}{hint}; "
                "nothing of this file loaded",
                {"missing_required": {self.stream: missing},
                 **({"possible_renames": {self.stream: renames}} if renames else {})})
        self.header = header


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
