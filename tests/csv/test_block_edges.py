"""The block reader at its edges: record_end, where blocks end, the last block without a newline, skipped records."""
from __future__ import annotations

import aiofiles
import pytest

from service.etl.csv.blocks import HEAD_BYTES, Block, read_blocks, record_end


@pytest.mark.parametrize(("buffer", "start", "expected"), [
    (b"", 0, 0),
    (b"a,b", 0, 0),
    (b"a,b\nc", 0, 4),
    (b"a,b\nc,d\n", 4, 8),
    (b'a,"x\ny",b\nc\n', 0, 10),  # a quoted newline does not end the record
    (b'a,"x\ny', 0, 0),  # still open at the end
    (b'h\na,"x\ny",z\n', 2, 12),
    (b'a,"q""\n""",b\nc\n', 0, 13),  # escaped quotes keep it open across the newline
    (b'"a\n"\n"b\n"\n', 5, 10),
])
def test_record_end(buffer, start, expected):
    assert record_end(buffer, start) == expected


async def blocks_of(path, block_bytes: int, max_record: int = 1 << 20, offset: int = 0, line: int = 0):
    async with aiofiles.open(path, "rb") as handle:
        await handle.seek(offset)
        return [b async for b in read_blocks(handle, offset, line, block_bytes, max_record)]


async def test_blocks_end_at_the_last_record_end_before_each_multiple_of_the_block_size(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"aaaa\nbb\ncccccc\ndd\neeeeeeee\n")  # record ends at 5, 8, 15, 18, 27
    blocks = await blocks_of(path, 10)
    assert [(b.start, b.end, b.start_line, b.end_line) for b in blocks] == [
        (0, 8, 0, 2), (8, 18, 2, 4), (18, 27, 4, 5)]
    assert [b.data for b in blocks] == [b"aaaa\nbb\n", b"cccccc\ndd\n", b"eeeeeeee\n"]
    assert all(b.problems == [] for b in blocks)


async def test_the_last_record_without_a_newline_is_its_own_checkpointed_block(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"h\na,1\nb,2")
    blocks = await blocks_of(path, 1024)
    assert [(b.data, b.start, b.end, b.start_line, b.end_line) for b in blocks] == [
        (b"h\na,1\n", 0, 6, 0, 2), (b"b,2", 6, 9, 2, 3)]
    assert (await blocks_of(path, 1024, offset=6, line=2)) == blocks[1:]


async def test_an_empty_file_and_a_file_read_to_its_end_give_no_block(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"")
    assert await blocks_of(path, 64) == []
    path.write_bytes(b"a\nb\n")
    assert await blocks_of(path, 64, offset=4, line=2) == []


async def test_an_over_long_record_is_reported_with_its_line_and_the_next_block_starts_after_it(tmp_path):
    path = tmp_path / "q.csv"
    long_record = b'"' + b"x" * 300 + b"\n"
    path.write_bytes(b"h\n" + long_record + b"ok,1\n")
    blocks = await blocks_of(path, 64, max_record=100)
    problems = [p for b in blocks for p in b.problems]
    [(line, excerpt, reason)] = problems
    assert (line, reason) == (2, "record longer than 100 bytes; skipped")
    assert excerpt.startswith('"xxxx') and excerpt.endswith("...") and 100 < len(excerpt) <= 203
    data = b"".join(b.data for b in blocks)
    assert data == b"h\nok,1\n"
    last = blocks[-1]
    assert last.data == b"ok,1\n" and last.end == len(path.read_bytes()) and last.end_line == 3


async def test_an_over_long_record_running_to_the_end_of_the_file(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"h\n" + b"y" * 500)
    blocks = await blocks_of(path, 64, max_record=100)
    assert blocks[0].data == b"h\n"
    final = blocks[-1]
    assert final.data == b"" and final.problems[0][0] == 2 and "longer than 100 bytes" in final.problems[0][2]


def test_block_defaults():
    block = Block(b"x\n", 0, 2, 0, 1)
    assert block.problems == [] and block.problems is not Block(b"", 0, 0, 0, 0).problems
    assert HEAD_BYTES == 4096
