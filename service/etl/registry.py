"""The sources the service knows, one line each: settings check ETL_SOURCES against it, wiring builds from it.

A source's module defines `build(settings, upstream)`; an API source's also `upstream(settings, session)`, and
its historical source's module `build_history(settings, upstream, pool, coins, start, end)`."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType


@dataclass(frozen=True)
class Registered:
    name: str
    module: str
    history: str | None = None  # API sources only: the module of their historical endpoint

    def live(self) -> ModuleType:
        return import_module(self.module)

    def historical(self) -> ModuleType:
        if self.history is None:
            raise LookupError(f"{self.name} has no historical source")
        return import_module(self.history)


SOURCES = (
    Registered("coinpaprika", "service.etl.sources.coinpaprika", "service.etl.sources.coinpaprika_history"),
    Registered("coingecko", "service.etl.sources.coingecko", "service.etl.sources.coingecko_history"),
    Registered("csv", "service.etl.sources.csv"),
)
BY_NAME = {source.name: source for source in SOURCES}
NAMES = tuple(BY_NAME)
# the sources with an upstream API, which a backfill can read the past from
API_NAMES = tuple(source.name for source in SOURCES if source.history is not None)
