"""Writes a batch's rejected records to etl_rejects, in the order they were found."""
from __future__ import annotations

from collections.abc import Sequence

from service.etl.records import REJECT_COLUMNS, Reject


async def write_rejects(connection, run_id: int, source: str, rejects: Sequence[Reject]) -> None:
    if rejects:
        await connection.copy_records_to_table(
            "etl_rejects", columns=REJECT_COLUMNS,
            records=[(run_id, source, r.location, r.raw, r.reason) for r in rejects])
