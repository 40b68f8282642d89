"""Settings.from_env: every contract variable, defaults, and errors that name the variable."""
from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import KNOWN_SOURCES, PROJECT_ROOT, Settings, SettingsError


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
        "COINGECKO_API_KEY": "gk", "CSV_PATH": "/data/in", "ADMIN_TOKEN": "tok", "LOG_LEVEL": "debug",
        "LOG_FORMAT": "text", "API_RATE_LIMIT": "0",
    })
    assert s.database_url == "postgresql://u:p@db:5432/market" and s.embedded_pg_dir == Path("/var/pg")
    assert (s.host, s.port, s.etl_interval_seconds, s.etl_on_startup) == ("127.0.0.1", 9000, 90, False)
    assert s.etl_sources == ("csv", "coingecko")
    assert s.coinpaprika_base_url == "https://api-pro.coinpaprika.com/v1" and s.coinpaprika_api_key == "pk"
    assert s.coingecko_base_url == "https://pro-api.coingecko.com/api/v3" and s.coingecko_api_key == "gk"
    assert s.csv_path == Path("/data/in") and s.admin_token == "tok"
    assert (s.log_level, s.log_format, s.api_rate_limit) == ("DEBUG", "text", 0)


def test_secrets_stay_out_of_repr():
    s = Settings.from_env({"COINPAPRIKA_API_KEY": "pk-123", "COINGECKO_API_KEY": "gk-456", "ADMIN_TOKEN": "t-789"})
    assert not any(secret in repr(s) for secret in ("pk-123", "gk-456", "t-789"))


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
