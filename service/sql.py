"""Every SQL statement the service runs, loaded once from sql/*.sql into a read-only registry."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from service.settings import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"


class SqlRegistry(Mapping[str, str]):
    """Statements by file name (without .sql); `registry.name` and `registry["name"]` both work."""

    def __init__(self, statements: Mapping[str, str]):
        self._statements = MappingProxyType(dict(statements))

    @classmethod
    def load(cls, directory: Path = SQL_DIR) -> SqlRegistry:
        files = sorted(directory.glob("*.sql"))
        if not files:
            raise RuntimeError(f"no SQL files found in {directory}")
        return cls({path.stem: path.read_text(encoding="utf-8") for path in files})

    def __getitem__(self, name: str) -> str:
        try:
            return self._statements[name]
        except KeyError:
            raise KeyError(f"no statement sql/{name}.sql") from None

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(str(exc)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._statements)

    def __len__(self) -> int:
        return len(self._statements)


SQL = SqlRegistry.load()
