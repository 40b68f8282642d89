"""The service's configuration: parsed and validated once from the environment."""
from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWN_SOURCES = ("coinpaprika", "coingecko", "csv")
LOG_FORMATS = ("json", "text")
# a DNS name, an IPv4 address or an IPv6 literal: what a listener or an upstream URL can name
_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|[0-9A-Fa-f:.]+)$")


class SettingsError(ValueError):
    """A configuration variable holds a value the service cannot use."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    embedded_pg_dir: Path = Path(".pgdata")
    host: str = "0.0.0.0"
    port: int = 8080
    etl_interval_seconds: float = 3600.0
    etl_on_startup: bool = True
    etl_sources: tuple[str, ...] = KNOWN_SOURCES
    coinpaprika_base_url: str = "https://api.coinpaprika.com/v1"
    coinpaprika_api_key: str | None = dataclasses.field(default=None, repr=False)
    coingecko_base_url: str = "https://api.coingecko.com/api/v3"
    coingecko_api_key: str | None = dataclasses.field(default=None, repr=False)
    coingecko_max_pages: int = 20
    coingecko_per_page: int = 250
    csv_path: Path = PROJECT_ROOT / "data" / "sample_quotes.csv"
    admin_token: str | None = dataclasses.field(default=None, repr=False)
    log_level: str = "INFO"
    log_format: str = "json"
    api_rate_limit: float = 20.0
    db_pool_min_size: int = 2
    db_pool_max_size: int = 10
    db_timeout_seconds: float = 5.0
    http_connect_timeout_seconds: float = 10.0
    http_total_timeout_seconds: float = 30.0
    http_max_retries: int = 4
    http_retry_after_cap_seconds: float = 60.0
    coinpaprika_requests_per_second: float = 10.0
    coingecko_requests_per_minute: float = 30.0
    stale_after_seconds: float = 3 * 3600.0
    shutdown_timeout_seconds: float = 8.0
    http_idle_timeout_seconds: float = 15.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Env(os.environ if environ is None else environ)
        sources = env.sources("ETL_SOURCES", cls.etl_sources)
        return cls(
            database_url=env.database_url("DATABASE_URL"),
            embedded_pg_dir=Path(env.text("EMBEDDED_PG_DIR", ".pgdata")),
            host=env.host("HOST", cls.host),
            port=env.integer("PORT", cls.port, low=0, high=65535),
            etl_interval_seconds=env.number("ETL_INTERVAL_SECONDS", cls.etl_interval_seconds, low=1),
            etl_on_startup=env.boolean("ETL_ON_STARTUP", cls.etl_on_startup),
            etl_sources=sources,
            coinpaprika_base_url=env.http_url("COINPAPRIKA_BASE_URL", cls.coinpaprika_base_url),
            coinpaprika_api_key=env.secret("COINPAPRIKA_API_KEY"),
            coingecko_base_url=env.http_url("COINGECKO_BASE_URL", cls.coingecko_base_url),
            coingecko_api_key=env.secret("COINGECKO_API_KEY"),
            coingecko_max_pages=env.integer("COINGECKO_MAX_PAGES", cls.coingecko_max_pages, low=1),
            coingecko_per_page=env.integer("COINGECKO_PER_PAGE", cls.coingecko_per_page, low=1, high=250),
            csv_path=Path(env.text("CSV_PATH", str(cls.csv_path))),
            admin_token=env.secret("ADMIN_TOKEN"),
            log_level=env.choice("LOG_LEVEL", cls.log_level, _log_levels(), upper=True),
            log_format=env.choice("LOG_FORMAT", cls.log_format, LOG_FORMATS),
            api_rate_limit=env.number("API_RATE_LIMIT", cls.api_rate_limit, low=0),
            db_pool_min_size=env.integer("DB_POOL_MIN_SIZE", cls.db_pool_min_size, low=1),
            db_pool_max_size=env.integer("DB_POOL_MAX_SIZE", cls.db_pool_max_size, low=1),
            db_timeout_seconds=env.number("DB_TIMEOUT_SECONDS", cls.db_timeout_seconds, low=0.1),
            http_connect_timeout_seconds=env.number(
                "HTTP_CONNECT_TIMEOUT_SECONDS", cls.http_connect_timeout_seconds, low=0.1),
            http_total_timeout_seconds=env.number(
                "HTTP_TOTAL_TIMEOUT_SECONDS", cls.http_total_timeout_seconds, low=0.1),
            http_max_retries=env.integer("HTTP_MAX_RETRIES", cls.http_max_retries, low=0, high=20),
            http_retry_after_cap_seconds=env.number(
                "HTTP_RETRY_AFTER_CAP_SECONDS", cls.http_retry_after_cap_seconds, low=0),
            coinpaprika_requests_per_second=env.number(
                "COINPAPRIKA_REQUESTS_PER_SECOND", cls.coinpaprika_requests_per_second, low=0.01),
            coingecko_requests_per_minute=env.number(
                "COINGECKO_REQUESTS_PER_MINUTE", cls.coingecko_requests_per_minute, low=0.1),
            stale_after_seconds=env.number("STALE_AFTER_SECONDS", cls.stale_after_seconds, low=1),
            shutdown_timeout_seconds=env.number(
                "SHUTDOWN_TIMEOUT_SECONDS", cls.shutdown_timeout_seconds, low=0.5),
            http_idle_timeout_seconds=env.number(
                "HTTP_IDLE_TIMEOUT_SECONDS", cls.http_idle_timeout_seconds, low=0.5),
        ).checked()

    def checked(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise SettingsError("DB_POOL_MIN_SIZE", "must not exceed DB_POOL_MAX_SIZE")
        return self


def _log_levels() -> tuple[str, ...]:
    return tuple(name for name in logging.getLevelNamesMapping() if name != "NOTSET")


class _Env:
    """Reads one variable at a time; every failure names its variable."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def secret(self, name: str) -> str | None:
        return self._raw(name)

    def integer(self, name: str, default: int, *, low: int | None = None, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"expected a whole number, got {raw!r}") from None
        return _in_range(name, value, low, high)

    def number(self, name: str, default: float, *, low: float | None = None) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(name, f"expected a number, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise SettingsError(name, f"expected a finite number, got {raw!r}")
        return _in_range(name, value, low, None)

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(name, f"expected true or false, got {raw!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.upper() if upper else raw.lower()
        if value not in allowed:
            raise SettingsError(name, f"expected one of {', '.join(allowed)}, got {raw!r}")
        return value

    def sources(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self._environ.get(name)
        if raw is None:
            return default
        names = [part.strip().lower() for part in raw.split(",") if part.strip()]
        unknown = [part for part in names if part not in KNOWN_SOURCES]
        if not names:
            raise SettingsError(name, f"names no source; known: {', '.join(KNOWN_SOURCES)}")
        if unknown:
            raise SettingsError(
                name, f"unknown source {', '.join(map(repr, unknown))}; known: {', '.join(KNOWN_SOURCES)}")
        return tuple(dict.fromkeys(names))

    def http_url(self, name: str, default: str) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname or not _HOSTNAME.match(parts.hostname):
            raise SettingsError(name, "expected an http(s):// URL with a valid host")
        _port(name, parts)
        return raw.rstrip("/")

    def host(self, name: str, default: str) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if not _HOSTNAME.match(raw):
            raise SettingsError(name, f"expected a host name or IP address, got {raw!r}")
        return raw

    def database_url(self, name: str) -> str | None:
        raw = self._raw(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingsError(name, "expected a postgresql:// URL")
        _port(name, parts)
        return raw


def _port(name: str, parts) -> None:
    try:
        parts.port
    except ValueError:
        raise SettingsError(name, "the URL's port is not a number from 0 to 65535") from None


def _in_range(name, value, low, high):
    if low is not None and value < low:
        raise SettingsError(name, f"must be at least {low}, got {value}")
    if high is not None and value > high:
        raise SettingsError(name, f"must be at most {high}, got {value}")
    return value
