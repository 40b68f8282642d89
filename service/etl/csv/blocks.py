"""Reads a CSV file in blocks that end on a record boundary, so every block end is a safe checkpoint."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

HEAD_BYTES = 4096
_QUOTE = b'"'
_NEWLINE = b"\n"


@dataclass(slots=True)
class Block:
    data: bytes
    start: int
    end: int
    start_line: int
    end_line: int
    # (line, raw excerpt, reason) of records dropped before parsing, such as over-long ones
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def record_boundary(buffer: bytes) -> int:
    """The index just past the last newline that ends a record (outside quotes); 0 when there is none."""
    if _QUOTE not in buffer:
        return buffer.rfind(_NEWLINE) + 1
    # A newline ends a record when the quotes before it (since the buffer's start) pair up.
    boundary, position, odd = 0, 0, False
    for line in buffer.split(_NEWLINE)[:-1]:
        position += len(line) + 1
        if line.count(_QUOTE) % 2:
            odd = not odd
        if not odd:
            boundary = position
    return boundary


def record_end(buffer: bytes, start: int = 0) -> int:
    """The index just past the newline ending the record that begins at `start`; 0 when it does not end."""
    odd, position = False, start
    while True:
        newline = buffer.find(_NEWLINE, position)
        if newline < 0:
            return 0
        if buffer.count(_QUOTE, position, newline) % 2:
            odd = not odd
        if not odd:
            return newline + 1
        position = newline + 1


async def read_blocks(handle, offset: int, line: int, block_bytes: int,
                      max_record_bytes: int) -> AsyncIterator[Block]:
    """Blocks from `offset` (at physical line `line`) to the end of the file.

    Each block ends at the last record end before a multiple of `block_bytes` in the file (or the first after,
    for a record longer than that), wherever the reading started: read again from any block's end, a file gives
    the same blocks, so a raw block stored before a crash is stored once (its content hash is unique)."""
    buffer = b""
    start, start_line, position = offset, line, offset
    problems: list[tuple[int, str, str]] = []
    while True:
        chunk = await handle.read(block_bytes - position % block_bytes)
        if not chunk:
            break
        position += len(chunk)
        buffer += chunk
        cut = record_boundary(buffer)
        if cut == 0:
            if len(buffer) > max_record_bytes:
                excerpt = buffer[:200].decode("utf-8", "replace") + "..."
                buffer, dropped = await _skip_record(handle, buffer, block_bytes)
                problems.append((start_line + 1, excerpt, f"record longer than {max_record_bytes} bytes; skipped"))
                start += dropped
                start_line += 1
            continue
        data, buffer = buffer[:cut], buffer[cut:]
        lines = data.count(_NEWLINE)
        yield Block(data, start, start + cut, start_line, start_line + lines, problems)
        problems = []
        start += cut
        start_line += lines
    if buffer or problems:
        # the file ends without a final newline (its last record is read as it is), or right after a skipped
        # record whose tail brought the rest of the file along
        unterminated = 1 if buffer and not buffer.endswith(_NEWLINE) else 0
        yield Block(buffer, start, start + len(buffer), start_line,
                    start_line + buffer.count(_NEWLINE) + unterminated, problems)


async def _skip_record(handle, buffer: bytes, block_bytes: int) -> tuple[bytes, int]:
    """Drops bytes up to the next newline, whatever the quotes say; returns (what follows, bytes dropped)."""
    dropped = 0
    while _NEWLINE not in buffer:
        dropped += len(buffer)
        buffer = await handle.read(block_bytes)
        if not buffer:
            return b"", dropped
    cut = buffer.index(_NEWLINE) + 1
    return buffer[cut:], dropped + cut
