"""CSV files: read in blocks of whole records from each file's byte-offset checkpoint, staged by the CSV stager."""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from service.etl.csv.reader import FileReader
from service.etl.csv.stager import NAME, CsvStager
from service.etl.records import Batch, DriftError, SourceError
from service.settings import Settings


class CsvSource:
    name = NAME

    def __init__(self, path: Path, *, future_tolerance: float = Settings.future_tolerance_seconds,
                 block_bytes: int = 1 << 21, max_record_bytes: int = 1 << 20):
        self.path = path
        self.future_tolerance = future_tolerance
        self.block_bytes = block_bytes
        self.max_record_bytes = max_record_bytes

    def files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.glob("*.csv") if p.is_file())
        if self.path.is_file():
            return [self.path]
        raise SourceError(f"CSV_PATH {str(self.path)!r} is neither a file nor a directory")

    def stager(self, run_id: int) -> CsvStager:
        return CsvStager(run_id)

    async def batches(self, checkpoints: Mapping[str, dict[str, Any]],
                      known: Mapping[str, datetime]) -> AsyncIterator[Batch]:
        broken: list[DriftError] = []
        for path in self.files():
            reader = FileReader(path, self.block_bytes, self.max_record_bytes, self.future_tolerance)
            try:
                async for batch in reader.batches(checkpoints.get(reader.stream)):
                    yield batch
            except DriftError as exc:  # the other files still load; the run fails at the end
                broken.append(exc)
        if broken:
            found: dict[str, Any] = {}
            for exc in broken:
                for key, value in exc.drift.items():
                    found.setdefault(key, {}).update(value)
            raise DriftError("; ".join(str(exc) for exc in broken), found)


def build(settings: Settings, upstream: None = None) -> CsvSource:
    return CsvSource(settings.csv_path, future_tolerance=settings.future_tolerance_seconds)
