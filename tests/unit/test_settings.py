"""Settings.from_env: every contract variable, defaults, and errors that name the variable."""
from __future__ import annotations

import dataclasses
import re
from ipaddress import ip_network
from pathlib import Path

import pytest

from service.settings import KNOWN_SOURCES, PROJECT_ROOT, Settings, SettingsError, variable_name


def test_defaults_match_the_contract():
    s = Settings.from_env({})
    assert s.database_url is None and s.embedded_pg_dir == Path(".pgdata")
    assert (s.host, s.port) == ("0.0.0.0", 8080)
    assert s.etl_interval_seconds == 3600 and s.etl_on_startup is True
    assert s.etl_sources == ("coinpaprika", "coingecko", "csv") == KNOWN_SOURCES
    assert s.coinpaprika_base_url == "https://api.coinpaprika.com/v1" and s.coinpaprika_api_key is None
    assert s.coingecko_base_url == "https://api.coingecko.com/api/v3" and s.coingecko_api_key is None
    assert s.csv_path == PROJECT_ROOT / "data" / "sample_quotes.csv" and s.csv_path.is_file()
    assert s.admin_token is None
    assert (s.log_level, s.log_format) == ("INFO", "json")
    assert s.api_rate_limit == 20
    assert s.coingecko_max_pages == 20


def test_every_contract_variable_is_read():
    s = Settings.from_env({
        "DATABASE_URL": "postgresql://u:p@db:5432/market", "EMBEDDED_PG_DIR": "/var/pg",
        "HOST": "127.0.0.1", "PORT": "9000", "ETL_INTERVAL_SECONDS": "90", "ETL_ON_STARTUP": "false",
        "ETL_SOURCES": "CSV, coingecko", "COINPAPRIKA_BASE_URL": "https://api-pro.coinpaprika.com/v1/",
        "COINPAPRIKA_API_KEY": "pk", "COINGECKO_BASE_URL": "https://pro-api.coingecko.com/api/v3",
        "COINGECKO_API_KEY": "gk", "CSV_PATH": "/data/in", "ADMIN_TOKEN": "tok-of-16-chars!", "LOG_LEVEL": "debug",
        "LOG_FORMAT": "text", "API_RATE_LIMIT": "0",
    })
    assert s.database_url == "postgresql://u:p@db:5432/market" and s.embedded_pg_dir == Path("/var/pg")
    assert (s.host, s.port, s.etl_interval_seconds, s.etl_on_startup) == ("127.0.0.1", 9000, 90, False)
    assert s.etl_sources == ("csv", "coingecko")
    assert s.coinpaprika_base_url == "https://api-pro.coinpaprika.com/v1" and s.coinpaprika_api_key == "pk"
    assert s.coingecko_base_url == "https://pro-api.coingecko.com/api/v3" and s.coingecko_api_key == "gk"
    assert s.csv_path == Path("/data/in") and s.admin_token == "tok-of-16-chars!"
    assert (s.log_level, s.log_format, s.api_rate_limit) == ("DEBUG", "text", 0)


def test_secrets_stay_out_of_repr():
    s = Settings.from_env(
        {"COINPAPRIKA_API_KEY": "pk-123", "COINGECKO_API_KEY": "gk-456", "ADMIN_TOKEN": "t-789-0123456789"})
    assert not any(secret in repr(s) for secret in ("pk-123", "gk-456", "t-789-0123456789"))


@pytest.mark.parametrize("variable, value", [
    ("ETL_INTERVAL_SECONDS", "soon"), ("ETL_INTERVAL_SECONDS", "0"), ("ETL_INTERVAL_SECONDS", "nan"),
    ("ETL_SOURCES", "csv,nosuch"), ("PORT", "http"), ("PORT", "70000"),
    ("COINGECKO_BASE_URL", "notaurl"), ("COINPAPRIKA_BASE_URL", "ftp://host/v1"),
    ("COINGECKO_BASE_URL", "http://host:port/api"), ("DATABASE_URL", "mysql://x/y"),
    ("ETL_ON_STARTUP", "maybe"), ("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml"), ("API_RATE_LIMIT", "-1"),
    ("HTTP_MAX_RETRIES", "many"), ("COINGECKO_MAX_PAGES", "0"),
    ("HOST", "not a host!"), ("COINPAPRIKA_BASE_URL", "http://a b/v1"), ("ETL_SOURCES", ","),
    ("COINGECKO_BASE_URL", "http://host:99999/api"),
])
def test_bad_values_name_the_variable(variable, value):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_unknown_source_is_named():
    with pytest.raises(SettingsError, match="'nosuch'"):
        Settings.from_env({"ETL_SOURCES": "csv,nosuch"})


def test_blank_values_mean_default():
    s = Settings.from_env({"PORT": "  ", "COINGECKO_API_KEY": "", "ETL_INTERVAL_SECONDS": ""})
    assert s.port == 8080 and s.coingecko_api_key is None and s.etl_interval_seconds == 3600


def test_readme_lists_exactly_the_settings_the_code_reads():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    assert documented == {variable_name(field) for field in dataclasses.fields(Settings)}


def test_new_contract_variables():
    s = Settings.from_env({
        "ADMIN_TOKEN": "0123456789abcdef", "ETL_TRIGGER_COOLDOWN_SECONDS": "0",
        "CORS_ORIGINS": "https://a.example, http://b.example:8080/", "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1",
        "FUTURE_TOLERANCE_SECONDS": "30", "HISTORY_RETENTION_DAYS": "400",
        "DATABASE_READ_URLS": "postgresql://r:pw@standby1/db,postgresql://r:pw@standby2/db",
    })
    assert s.admin_token == "0123456789abcdef" and s.etl_trigger_cooldown_seconds == 0
    assert s.cors_origins == ("https://a.example", "http://b.example:8080")
    assert s.trusted_proxies == (ip_network("10.0.0.1/32"), ip_network("192.168.0.0/16"), ip_network("::1/128"))
    assert (s.future_tolerance_seconds, s.history_retention_days) == (30, 400)
    assert s.database_read_urls == ("postgresql://r:pw@standby1/db", "postgresql://r:pw@standby2/db")


def test_new_variables_default_to_the_contract():
    s = Settings.from_env({})
    assert (s.etl_trigger_cooldown_seconds, s.cors_origins, s.trusted_proxies) == (60, ("*",), ())
    assert (s.future_tolerance_seconds, s.database_read_urls, s.history_retention_days) == (600, (), None)


@pytest.mark.parametrize("variable, value, problem", [
    ("ADMIN_TOKEN", "short-token", "at least 16 characters, got 11"),
    ("ADMIN_TOKEN", "x" * 15, "at least 16 characters, got 15"),
    ("CORS_ORIGINS", "example.org", "expected '*' or origins"),
    ("CORS_ORIGINS", "https://a.example/path", "expected '*' or origins"),
    ("CORS_ORIGINS", "*,https://a.example", "give it alone"),
    ("TRUSTED_PROXIES", "10.0.0.300", "expected IP addresses or CIDR ranges"),
    ("TRUSTED_PROXIES", ",", "names nothing"),
    ("DATABASE_READ_URLS", "postgresql://a/db,mysql://b/db", "expected a postgresql:// URL"),
    ("HISTORY_RETENTION_DAYS", "0", "must be at least 1, got 0"),
    ("FUTURE_TOLERANCE_SECONDS", "-5", "must be at least 0"),
    ("ETL_TRIGGER_COOLDOWN_SECONDS", "soon", "expected a number, got 'soon'"),
    ("DB_POOL_MIN_SIZE", "0", "must be at least 1, got 0"),
    ("COINGECKO_PER_PAGE", "251", "must be at most 250, got 251"),
])
def test_bad_new_values_say_what_is_wrong(variable, value, problem):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable and problem in str(caught.value)


def test_admin_token_of_exactly_sixteen_characters_is_accepted():
    assert Settings.from_env({"ADMIN_TOKEN": "x" * 16}).admin_token == "x" * 16


def test_pool_min_above_max_names_the_min():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "4"})
    assert caught.value.variable == "DB_POOL_MIN_SIZE"


def test_no_secret_in_repr_and_urls_masked():
    s = Settings.from_env({
        "DATABASE_URL": "postgresql://app:db-pass-111@db:5432/market", "ADMIN_TOKEN": "admin-token-2222-long",
        "DATABASE_READ_URLS": "postgresql://ro:ro-pass-333@standby/market", "COINGECKO_API_KEY": "gk-444",
        "COINPAPRIKA_API_KEY": "pk-555",
    })
    shown = repr(s)
    assert not [secret for secret in ("db-pass-111", "admin-token-2222-long", "ro-pass-333", "gk-444", "pk-555")
                if secret in shown]
    assert "postgresql://app:***@db:5432/market" in shown and "postgresql://ro:***@standby/market" in shown
    assert set(s.secrets) == {"admin-token-2222-long", "gk-444", "pk-555"}


# a value each setting's parser accepts and that differs from its default
_SAMPLES = {
    "database_url": "postgresql://h/db", "embedded_pg_dir": "/pg", "host": "h.example", "port": "81",
    "etl_on_startup": "false", "etl_sources": "csv", "coinpaprika_base_url": "http://p.example",
    "coingecko_base_url": "http://g.example", "coinpaprika_api_key": "k", "coingecko_api_key": "k",
    "csv_path": "/in.csv", "admin_token": "t" * 20, "cors_origins": "https://o.example", "log_level": "debug",
    "log_format": "text", "trusted_proxies": "10.1.1.1", "database_read_urls": "postgresql://r/db",
    "history_retention_days": "9", "db_pool_min_size": "1", "http_max_retries": "3", "coingecko_per_page": "9",
    "coingecko_max_pages": "3", "db_pool_max_size": "3", "backfill_days": "7", "coingecko_history_max_days": "7",
    "coingecko_history_window_days": "7", "coinpaprika_history_max_days": "7",
    "asset_links_path": str(PROJECT_ROOT / "tests" / "identity" / "asset_links.example"),
    "stream_max_clients": "7", "stream_client_buffer_kb": "64", "export_max_concurrent": "3",
}


@pytest.mark.parametrize("field", dataclasses.fields(Settings), ids=lambda field: field.name)
def test_every_setting_is_read_from_its_upper_case_name(field):
    default = getattr(Settings.from_env({}), field.name)
    parsed = getattr(Settings.from_env({variable_name(field): _SAMPLES.get(field.name, "7.5")}), field.name)
    assert parsed != default
