"""The service's configuration: declared once, one line per setting, parsed and validated once from the environment.

A field's environment variable is its name in upper case; its parser and bounds sit beside its default.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from service.etl.registry import NAMES as KNOWN_SOURCES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_FORMATS = ("json", "text")
MIN_ADMIN_TOKEN_LENGTH = 16
# a DNS name, an IPv4 address or an IPv6 literal: what a listener or an upstream URL can name
_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|[0-9A-Fa-f:.]+)$")


class SettingsError(ValueError):
    """A configuration variable holds a value the service cannot use."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


# --- parsers: (variable name, stripped non-empty text, bounds) -> value; every failure names the variable ---

def _text(name: str, raw: str) -> str:
    return raw


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def _integer(name: str, raw: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"expected a whole number, got {raw!r}") from None
    return _in_range(name, value, low, high)


def _number(name: str, raw: str, low: float | None = None, high: float | None = None) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"expected a number, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(name, f"expected a finite number, got {raw!r}")
    return _in_range(name, value, low, high)


def _boolean(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"expected true or false, got {raw!r}")


def _choice(name: str, raw: str, allowed: tuple[str, ...], upper: bool = False) -> str:
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise SettingsError(name, f"expected one of {', '.join(allowed)}, got {raw!r}")
    return value


def _log_level(name: str, raw: str) -> str:
    levels = tuple(level for level in logging.getLevelNamesMapping() if level != "NOTSET")
    return _choice(name, raw, levels, upper=True)


def _log_format(name: str, raw: str) -> str:
    return _choice(name, raw, LOG_FORMATS)


def _items(name: str, raw: str) -> list[str]:
    items = [part.strip() for part in raw.split(",") if part.strip()]
    if not items:
        raise SettingsError(name, "names nothing")
    return items


def _sources(name: str, raw: str) -> tuple[str, ...]:
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise SettingsError(name, f"names no source; known: {', '.join(KNOWN_SOURCES)}")
    unknown = [part for part in names if part not in KNOWN_SOURCES]
    if unknown:
        raise SettingsError(
            name, f"unknown source {', '.join(map(repr, unknown))}; known: {', '.join(KNOWN_SOURCES)}")
    return tuple(dict.fromkeys(names))


def _http_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _HOSTNAME.match(parts.hostname):
        raise SettingsError(name, "expected an http(s):// URL with a valid host")
    _port(name, parts)
    return raw.rstrip("/")


def _host(name: str, raw: str) -> str:
    if not _HOSTNAME.match(raw):
        raise SettingsError(name, f"expected a host name or IP address, got {raw!r}")
    return raw


def _database_url(name: str, raw: str) -> str:
    raw = encode_userinfo(raw)
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(name, "expected a postgresql:// URL")
    _port(name, parts)
    return raw


_USERINFO_SAFE = "!$&'()*+,;=-._~"


def encode_userinfo(url: str) -> str:
    """The URL with its user name and password percent-encoded when they hold `@ / ? #`, as written.

    Docker Compose pastes SERVICE_DB_PASSWORD into DATABASE_URL as it is, so such a password would otherwise
    be cut short, its rest taken for the host, the path or the query. A URL whose path and fragment hold no
    `@` (and whose query holds none outside `key=value` pairs) is already unambiguous and kept as it is;
    otherwise the user info is everything between `://` and the last `@`."""
    strict = urlsplit(url)
    query_at = "@" in strict.query and "=" not in strict.query.rpartition("@")[0]
    scheme, separator, rest = url.partition("://")
    userinfo, at, after = rest.rpartition("@")
    if not separator or not at or not ("@" in strict.path or "@" in strict.fragment or query_at):
        return url
    user, colon, password = userinfo.partition(":")

    def encode(text: str) -> str:
        # a % already starting an escape stays one
        return quote(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text), safe=_USERINFO_SAFE + "%")

    return f"{scheme}://{encode(user)}{colon}{encode(password)}@{after}"


def _database_urls(name: str, raw: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_database_url(name, item) for item in _items(name, raw)))


def _admin_token(name: str, raw: str) -> str:
    if len(raw) < MIN_ADMIN_TOKEN_LENGTH:
        raise SettingsError(name, f"must be at least {MIN_ADMIN_TOKEN_LENGTH} characters, got {len(raw)}")
    return raw


def _origins(name: str, raw: str) -> tuple[str, ...]:
    origins = _items(name, raw)
    for origin in origins:
        if origin == "*":
            continue
        parts = urlsplit(origin)
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
                or parts.query or parts.fragment or not _HOSTNAME.match(parts.hostname)):
            raise SettingsError(name, f"expected '*' or origins like https://example.org, got {origin!r}")
        _port(name, parts)
    if "*" in origins and len(origins) > 1:
        raise SettingsError(name, "'*' allows every origin: give it alone or list origins")
    return tuple(origin.rstrip("/") for origin in origins)


def _networks(name: str, raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    items = _items(name, raw)  # its own SettingsError is a ValueError too: not to be wrapped below
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as exc:
        raise SettingsError(name, f"expected IP addresses or CIDR ranges: {exc}") from None


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


def setting(default, parse: Callable, *, secret: bool = False, **bounds):
    """One setting: its default, its parser with bounds, and whether it is a secret kept out of repr."""
    return dataclasses.field(default=default, metadata={"parse": parse, "bounds": bounds, "secret": secret})


@dataclass(frozen=True, repr=False)
class Settings:
    database_url: str | None = setting(None, _database_url)
    embedded_pg_dir: Path = setting(Path(".pgdata"), _path)
    host: str = setting("0.0.0.0", _host)
    port: int = setting(8080, _integer, low=0, high=65535)
    etl_interval_seconds: float = setting(3600.0, _number, low=1)
    etl_on_startup: bool = setting(True, _boolean)
    etl_sources: tuple[str, ...] = setting(KNOWN_SOURCES, _sources)
    coinpaprika_base_url: str = setting("https://api.coinpaprika.com/v1", _http_url)
    coinpaprika_api_key: str | None = setting(None, _text, secret=True)
    coingecko_base_url: str = setting("https://api.coingecko.com/api/v3", _http_url)
    coingecko_api_key: str | None = setting(None, _text, secret=True)
    coingecko_max_pages: int = setting(20, _integer, low=1)
    coingecko_per_page: int = setting(250, _integer, low=1, high=250)
    csv_path: Path = setting(PROJECT_ROOT / "data" / "sample_quotes.csv", _path)
    admin_token: str | None = setting(None, _admin_token, secret=True)
    etl_trigger_cooldown_seconds: float = setting(60.0, _number, low=0)
    cors_origins: tuple[str, ...] = setting(("*",), _origins)
    log_level: str = setting("INFO", _log_level)
    log_format: str = setting("json", _log_format)
    api_rate_limit: float = setting(20.0, _number, low=0)
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = setting((), _networks)
    future_tolerance_seconds: float = setting(600.0, _number, low=0)
    database_read_urls: tuple[str, ...] = setting((), _database_urls)
    history_retention_days: int | None = setting(None, _integer, low=1)
    db_pool_min_size: int = setting(2, _integer, low=1)
    db_pool_max_size: int = setting(10, _integer, low=1)
    db_timeout_seconds: float = setting(5.0, _number, low=0.1)
    http_connect_timeout_seconds: float = setting(10.0, _number, low=0.1)
    http_total_timeout_seconds: float = setting(30.0, _number, low=0.1)
    http_max_retries: int = setting(4, _integer, low=0, high=20)
    http_retry_after_cap_seconds: float = setting(60.0, _number, low=0)
    coinpaprika_requests_per_second: float = setting(10.0, _number, low=0.01)
    coingecko_requests_per_minute: float = setting(30.0, _number, low=0.1)
    # history: the free plans' reach (paid plans reach further), and how far the background backfill goes
    backfill_days: int = setting(0, _integer, low=0, high=36500)
    coingecko_history_max_days: int = setting(365, _integer, low=1)
    coingecko_history_window_days: int = setting(90, _integer, low=2, high=90)
    coinpaprika_history_max_days: int = setting(365, _integer, low=1)
    coinpaprika_history_hourly_days: float = setting(1.0, _number, low=0)
    stale_after_seconds: float = setting(3 * 3600.0, _number, low=1)
    shutdown_timeout_seconds: float = setting(8.0, _number, low=0.5)
    http_idle_timeout_seconds: float = setting(15.0, _number, low=0.5)
    # GET /stream: open streams at most (503 beyond), what one client may have waiting before it is dropped,
    # how long a Last-Event-ID can be resumed from, and the longest quiet on a stream before a comment is sent
    stream_max_clients: int = setting(1000, _integer, low=1)
    stream_client_buffer_kb: int = setting(1024, _integer, low=16)
    stream_replay_seconds: float = setting(3600.0, _number, low=1)
    stream_heartbeat_seconds: float = setting(15.0, _number, low=0.05, high=15)
    # GET /export/history: exports at once (each holds a database connection; 429 beyond), and the longest one
    export_max_concurrent: int = setting(2, _integer, low=1)
    export_timeout_seconds: float = setting(3600.0, _number, low=1)
    asset_links_path: Path = setting(PROJECT_ROOT / "data" / "asset_links", _path)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            variable = variable_name(field)
            raw = (environ.get(variable) or "").strip()
            if raw:  # empty means unset: the default stands
                values[field.name] = field.metadata["parse"](variable, raw, **field.metadata["bounds"])
        return cls(**values).checked()

    def checked(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise SettingsError("DB_POOL_MIN_SIZE", "must not exceed DB_POOL_MAX_SIZE")
        self.curated_links()
        return self

    def curated_links(self):
        """The curated asset links file, read and checked (a bad line names the file and line)."""
        from service.etl.identity.curated import CuratedError, load
        try:
            return load(self.asset_links_path, KNOWN_SOURCES)
        except CuratedError as exc:
            raise SettingsError("ASSET_LINKS_PATH", str(exc)) from None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values logs must never show."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                     if f.metadata["secret"] and getattr(self, f.name))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={_shown(f, getattr(self, f.name))}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({shown})"


def variable_name(field: dataclasses.Field) -> str:
    return field.name.upper()


def _shown(field: dataclasses.Field, value) -> str:
    if field.metadata["secret"] and value is not None:
        return "'***'"
    if field.metadata["parse"] is _database_url and value is not None:
        return repr(mask_password(value))
    if field.metadata["parse"] is _database_urls:
        return repr(tuple(mask_password(url) for url in value))
    return repr(value)


def mask_password(url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{parts.username or ''}:***@{host}", *parts[2:]))
