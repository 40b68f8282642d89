"""The block reader: record boundaries outside quotes, and blocks that always end on one."""
from __future__ import annotations

import csv
import io

import aiofiles
import pytest

from service.etl.csv.blocks import read_blocks, record_boundary


@pytest.mark.parametrize("buffer, expected", [
    (b"", 0),
    (b"a,b", 0),
    (b"a,b\n", 4),
    (b"a,b\nc,d", 4),
    (b'a,"x\ny",b\n', 10),  # quoted newline inside the record
    (b'a,"x\ny', 0),  # the quote is still open: no boundary yet
    (b'h\na,"x\ny', 2),  # only the header ends before the open quote
    (b'a,"he said ""hi""\nthere",b\nc\n', 29),  # escaped quotes keep the field open across the newline
    (b'a,"x ""q""",b\nc,d', 14),
    (b'a,""\nb,""""\n', 12),
])
def test_record_boundary(buffer, expected):
    assert record_boundary(buffer) == expected


async def test_blocks_split_only_between_records(tmp_path):
    rows = [["BTC", f'multi\nline "{i}"', str(i)] for i in range(300)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path = tmp_path / "q.csv"
    path.write_bytes(text.getvalue().encode())
    async with aiofiles.open(path, "rb") as handle:
        blocks = [block async for block in read_blocks(handle, 0, 0, 37, 1 << 20)]
    assert len(blocks) > 10
    assert b"".join(b.data for b in blocks) == path.read_bytes()
    parsed = [row for b in blocks for row in csv.reader(io.StringIO(b.data.decode()))]
    assert parsed == rows
    assert all(a.end == b.start and a.end_line == b.start_line for a, b in zip(blocks, blocks[1:]))
    assert blocks[-1].end_line == 600


async def test_reading_again_from_any_block_end_gives_the_same_blocks(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"".join(f"C{i},{'x' * (i % 23)},{i}\n".encode() for i in range(500)))

    async def blocks_from(offset: int, line: int):
        async with aiofiles.open(path, "rb") as handle:
            await handle.seek(offset)
            blocks = read_blocks(handle, offset, line, 256, 1 << 20)
            return [(b.start, b.end, b.start_line, b.data) async for b in blocks]
    whole = await blocks_from(0, 0)
    assert len(whole) > 20 and b"".join(b[3] for b in whole) == path.read_bytes()
    for index in (1, 7, len(whole) // 2, len(whole) - 1):
        start, _, line, _ = whole[index]
        assert await blocks_from(start, line) == whole[index:]


async def test_an_over_long_record_is_skipped_and_reported(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"h\n" + b'"' + b"x" * 500 + b"\n" + b"ok\n")
    async with aiofiles.open(path, "rb") as handle:
        blocks = [block async for block in read_blocks(handle, 0, 0, 64, 100)]
    problems = [p for b in blocks for p in b.problems]
    assert len(problems) == 1 and "longer than 100 bytes" in problems[0][2]
    assert b"ok\n" in b"".join(b.data for b in blocks)
