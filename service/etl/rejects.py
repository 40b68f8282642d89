"""Writes a batch's rejected records to etl_rejects, in the order they were found."""
from __future__ import annotations

from service.etl.records import REJECT_COLUMNS, Batch


async def write_rejects(connection, run_id: int, source: str, batch: Batch) -> int:
    """Writes the batch's rejects so far (and forgets them); returns how many."""
    written = len(batch.rejects)
    if written:
        await connection.copy_records_to_table(
            "etl_rejects", columns=REJECT_COLUMNS,
            records=[(run_id, source, r.location, r.raw, r.reason) for r in batch.rejects])
        batch.rejects.clear()
    return written
