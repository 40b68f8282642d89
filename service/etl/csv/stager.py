"""The CSV stager: a block's raw bytes stored, its records staged the COPY way where it can, else the Python way."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from service.etl.csv import copy_way, python_way
from service.etl.csv.ahead import read_ahead
from service.etl.csv.reader import CsvBlock
from service.etl.records import QUOTE_COLUMNS, Batch, Reject, Staged
from service.sql import SQL

NAME = "csv"


@dataclass(frozen=True, slots=True)
class StagedAhead:
    """A block staged on the read-ahead connection: its raw bytes stored, its quotes as COPY binary data."""

    quotes: bytes
    staged: Staged


class CsvStager:
    def __init__(self, pool: asyncpg.Pool, run_id: int):
        self.pool = pool
        self.run_id = run_id

    async def prepare(self, connection) -> None:
        await connection.execute(SQL.create_stage_csv)

    def ahead(self, batches: AsyncIterator[Batch]) -> AsyncIterator[Batch]:
        return read_ahead(self, batches)

    async def stage(self, connection, batch: Batch) -> Staged:
        if isinstance(batch.payload, StagedAhead):
            if batch.payload.quotes:
                await connection.copy_to_table("stage_quotes", source=copy_way.chunks(batch.payload.quotes),
                                               columns=QUOTE_COLUMNS, format="binary")
            return batch.payload.staged
        return await self.stage_block(connection, batch.payload)

    async def stage_ahead(self, connection, batch: Batch) -> Batch:
        """The batch staged on `connection` (not the storing one), its quotes kept as COPY binary data for the
        storing transaction. Its raw block is stored here and now, in a transaction of its own: a block is
        stored once whoever stores it (its content hash is unique), so one stored before a crash is neither
        lost nor doubled when the batch is read again."""
        block: CsvBlock = batch.payload
        if block.raw is not None:
            await connection.execute(SQL.insert_raw_csv_block, self.run_id, *block.raw)
        chunks: list[bytes] = []

        async def keep(chunk: bytes) -> None:
            chunks.append(chunk)

        async with connection.transaction():  # commits nothing: the stage tables are emptied at commit
            staged = await self._stage_records(connection, block)
            if staged.quotes:
                await connection.copy_from_table("stage_quotes", columns=QUOTE_COLUMNS, output=keep, format="binary")
        return Batch(batch.stream, batch.position, StagedAhead(b"".join(chunks), staged), batch.pages, batch.bytes,
                     batch.drift)

    async def stage_block(self, connection, block: CsvBlock) -> Staged:
        if block.raw is not None:
            await connection.execute(SQL.insert_raw_csv_block, self.run_id, *block.raw)
        return await self._stage_records(connection, block)

    @staticmethod
    async def _stage_records(connection, block: CsvBlock) -> Staged:
        quotes: list[tuple] = []
        rejects: list[Reject] = [*block.refused, *([block.file_skipped] if block.file_skipped else [])]
        read = len(block.refused)

        def judge_in_python(data: bytes, line: int) -> None:
            nonlocal read
            read += python_way.judge(block.file, block.header, data, line, block.not_after, quotes, rejects)

        staged = 0
        if block.data and copy_way.can_take(block):
            staged, copied = await copy_way.stage(connection, NAME, block, judge_in_python)
            read += copied
        elif block.data:
            judge_in_python(block.data, block.line)
        if quotes:
            await connection.copy_records_to_table("stage_quotes", records=quotes, columns=QUOTE_COLUMNS)
        return Staged(read=read, quotes=staged + len(quotes), rejects=tuple(rejects))
