"""Whole 200 answers of the data routes, kept for one data generation (a TTL as safety net), bounded as an LRU."""
from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(slots=True)
class Entry:
    """One answer without its head (see service.web.responses.body_rest), its ETag and, once asked, its gzip."""
    rest: bytes
    etag: str | None
    expires: float
    deflated: bytes | None = None
    raw_heads: dict[bool, bytes] = field(default_factory=dict)  # by `vary`: service.web.raw.head_block

    def gzipped(self, head: bytes) -> bytes:
        """gzip of head + rest: the head as a stored deflate block, then the rest deflated once for all hits."""
        if self.deflated is None:
            packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            self.deflated = packer.compress(self.rest) + packer.flush()
        stored = struct.pack("<BHH", 0, len(head), len(head) ^ 0xFFFF)
        crc = zlib.crc32(self.rest, zlib.crc32(head))
        size = (len(head) + len(self.rest)) & 0xFFFFFFFF
        return b"".join((_GZIP_HEADER, stored, head, self.deflated, struct.pack("<II", crc, size)))


class ResponseCache:
    """Keyed by the validated query (canonical_key); everything goes when the data generation moves on."""

    def __init__(self, *, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024, ttl_seconds: float = 30.0):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._generation = -1
        self._computing: dict[tuple[str, int], asyncio.Future] = {}
        self.hits = self.misses = self.waits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, generation: int) -> Entry | None:
        if generation != self._generation:
            self._reset(generation)
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, generation: int, rest: bytes, etag: str | None) -> None:
        """Stores an answer computed while `generation` was current; a stale one (data changed since) is not."""
        if generation != self._generation:
            if generation < self._generation:
                return
            self._reset(generation)
        if len(rest) > self.max_bytes // 8:
            return
        self._drop(key)
        self._entries[key] = Entry(rest, etag, time.monotonic() + self.ttl_seconds)
        self._bytes += len(rest)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def computing(self, key: str, generation: int) -> asyncio.Future | None:
        """The answer to this key already being computed, to wait for instead of computing it again."""
        return self._computing.get((key, generation))

    def start(self, key: str, generation: int) -> asyncio.Future:
        future = self._computing[(key, generation)] = asyncio.get_running_loop().create_future()
        return future

    def done(self, key: str, generation: int, future: asyncio.Future) -> None:
        """Wakes whoever waits for this answer, stored or not (then each of them computes its own)."""
        if self._computing.get((key, generation)) is future:
            del self._computing[(key, generation)]
        if not future.done():
            future.set_result(None)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.rest)

    def _reset(self, generation: int) -> None:
        self._entries.clear()
        self._bytes = 0
        self._generation = generation
