"""The CSV stager: a block's raw bytes stored, its records staged the COPY way where it can, else the Python way."""
from __future__ import annotations

from service.etl.csv import copy_way, python_way
from service.etl.csv.reader import CsvBlock
from service.etl.records import QUOTE_COLUMNS, Batch, Reject, Staged
from service.sql import SQL

NAME = "csv"


class CsvStager:
    def __init__(self, run_id: int):
        self.run_id = run_id

    async def prepare(self, connection) -> None:
        await connection.execute(SQL.create_stage_csv)

    async def keep_raw(self, connection, batch: Batch) -> None:
        block: CsvBlock = batch.payload
        if block.raw is not None:
            await connection.execute(SQL.insert_raw_csv_block, self.run_id, *block.raw)

    async def stage(self, connection, batch: Batch) -> Staged:
        block: CsvBlock = batch.payload
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
