"""Settings' parsers value by value: what each accepts, the exact line each refusal prints, and what repr shows."""
from __future__ import annotations

import dataclasses
from ipaddress import ip_network

import pytest

from service import settings as module
from service.settings import Settings, SettingsError, mask_password


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env(environ)
    return str(excinfo.value)


@pytest.mark.parametrize(("environ", "line"), [
    ({"PORT": "http"}, "PORT: expected a whole number, got 'http'"),
    ({"PORT": "65536"}, "PORT: must be at most 65535, got 65536"),
    ({"PORT": "-1"}, "PORT: must be at least 0, got -1"),
    ({"ETL_INTERVAL_SECONDS": "soon"}, "ETL_INTERVAL_SECONDS: expected a number, got 'soon'"),
    ({"ETL_INTERVAL_SECONDS": "inf"}, "ETL_INTERVAL_SECONDS: expected a finite number, got 'inf'"),
    ({"ETL_INTERVAL_SECONDS": "-inf"}, "ETL_INTERVAL_SECONDS: expected a finite number, got '-inf'"),
    ({"ETL_INTERVAL_SECONDS": "nan"}, "ETL_INTERVAL_SECONDS: expected a finite number, got 'nan'"),
    ({"ETL_ON_STARTUP": "maybe"}, "ETL_ON_STARTUP: expected true or false, got 'maybe'"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: expected one of json, text, got 'xml'"),
    ({"LOG_LEVEL": "notset"}, "LOG_LEVEL: expected one of CRITICAL, FATAL, ERROR, WARN, WARNING, INFO, DEBUG, "
                              "got 'notset'"),
    ({"ETL_SOURCES": ","}, "ETL_SOURCES: names no source; known: coinpaprika, coingecko, csv"),
    ({"ETL_SOURCES": "csv,ftp,gopher"}, "ETL_SOURCES: unknown source 'ftp', 'gopher'; known: coinpaprika, "
                                        "coingecko, csv"),
    ({"COINGECKO_BASE_URL": "ftp://x"}, "COINGECKO_BASE_URL: expected an http(s):// URL with a valid host"),
    ({"COINGECKO_BASE_URL": "http://"}, "COINGECKO_BASE_URL: expected an http(s):// URL with a valid host"),
    ({"COINGECKO_BASE_URL": "http://bad host/"}, "COINGECKO_BASE_URL: expected an http(s):// URL with a valid host"),
    ({"COINGECKO_BASE_URL": "http://x:99999"}, "COINGECKO_BASE_URL: the URL's port is not a number from 0 to 65535"),
    ({"HOST": "bad host"}, "HOST: expected a host name or IP address, got 'bad host'"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL: expected a postgresql:// URL"),
    ({"DATABASE_URL": "postgresql://h:port/x"}, "DATABASE_URL: the URL's port is not a number from 0 to 65535"),
    ({"DATABASE_READ_URLS": " , "}, "DATABASE_READ_URLS: names nothing"),
    ({"DATABASE_READ_URLS": "postgresql://a/x,http://b/y"}, "DATABASE_READ_URLS: expected a postgresql:// URL"),
    ({"ADMIN_TOKEN": "a" * 15}, "ADMIN_TOKEN: must be at least 16 characters, got 15"),
    ({"CORS_ORIGINS": "*,https://a.example"}, "CORS_ORIGINS: '*' allows every origin: give it alone or list "
                                              "origins"),
    ({"CORS_ORIGINS": ","}, "CORS_ORIGINS: names nothing"),
    ({"CORS_ORIGINS": "a.example"}, "CORS_ORIGINS: expected '*' or origins like https://example.org, got "
                                    "'a.example'"),
    ({"CORS_ORIGINS": "https://a.example/path"}, "CORS_ORIGINS: expected '*' or origins like "
                                                 "https://example.org, got 'https://a.example/path'"),
    ({"CORS_ORIGINS": "https://a.example?x=1"}, "CORS_ORIGINS: expected '*' or origins like "
                                                "https://example.org, got 'https://a.example?x=1'"),
    ({"CORS_ORIGINS": "https://a.example#top"}, "CORS_ORIGINS: expected '*' or origins like "
                                                "https://example.org, got 'https://a.example#top'"),
    ({"CORS_ORIGINS": "https://bad host"}, "CORS_ORIGINS: expected '*' or origins like https://example.org, "
                                           "got 'https://bad host'"),
    ({"CORS_ORIGINS": "ftp://a.example"}, "CORS_ORIGINS: expected '*' or origins like https://example.org, got "
                                          "'ftp://a.example'"),
    ({"CORS_ORIGINS": "https://a.example:99999"}, "CORS_ORIGINS: the URL's port is not a number from 0 to 65535"),
    ({"TRUSTED_PROXIES": ","}, "TRUSTED_PROXIES: names nothing"),
    ({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "4"}, "DB_POOL_MIN_SIZE: must not exceed DB_POOL_MAX_SIZE"),
])
def test_each_refusal_is_one_line_naming_the_variable(environ, line):
    assert refusal(environ) == line


def test_a_bad_trusted_proxy_names_the_variable():
    line = refusal({"TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip"})
    assert line.startswith("TRUSTED_PROXIES: expected IP addresses or CIDR ranges: ")


@pytest.mark.parametrize(("raw", "value"), [
    *[(text, True) for text in ("1", "true", "yes", "on", "TRUE", "Yes", "ON")],
    *[(text, False) for text in ("0", "false", "no", "off", "FALSE", "No", "OFF")],
])
def test_booleans(raw, value):
    assert Settings.from_env({"ETL_ON_STARTUP": raw}).etl_on_startup is value


@pytest.mark.parametrize(("raw", "origins"), [
    ("*", ("*",)), ("https://a.example/", ("https://a.example",)),
    ("https://a.example, http://b.example:8080", ("https://a.example", "http://b.example:8080")),
])
def test_cors_origins(raw, origins):
    assert Settings.from_env({"CORS_ORIGINS": raw}).cors_origins == origins


def test_trusted_proxies_take_addresses_and_ranges_with_host_bits():
    proxies = Settings.from_env({"TRUSTED_PROXIES": "10.1.2.3/8, 192.0.2.7, ::1"}).trusted_proxies
    assert proxies == (ip_network("10.0.0.0/8"), ip_network("192.0.2.7/32"), ip_network("::1/128"))


def test_urls_lose_their_trailing_slash_and_keep_the_rest():
    s = Settings.from_env({"COINGECKO_BASE_URL": "http://127.0.0.1:8000/api/v3/",
                           "DATABASE_URL": "postgres://u:p@db:5432/x",
                           "DATABASE_READ_URLS": "postgresql://r1/x, postgresql://r2/x, postgresql://r1/x"})
    assert s.coingecko_base_url == "http://127.0.0.1:8000/api/v3"
    assert s.database_url == "postgres://u:p@db:5432/x"
    assert s.database_read_urls == ("postgresql://r1/x", "postgresql://r2/x")


def test_bounds_are_inclusive():
    s = Settings.from_env({"PORT": "65535", "COINGECKO_PER_PAGE": "250", "DB_POOL_MIN_SIZE": "4",
                           "DB_POOL_MAX_SIZE": "4", "ADMIN_TOKEN": "a" * 16, "ETL_TRIGGER_COOLDOWN_SECONDS": "0"})
    assert (s.port, s.coingecko_per_page, s.db_pool_min_size, s.admin_token) == (65535, 250, 4, "a" * 16)
    assert s.etl_trigger_cooldown_seconds == 0
    assert Settings.from_env({"PORT": "0"}).port == 0


def test_log_levels_are_every_named_level_but_notset():
    assert Settings.from_env({"LOG_LEVEL": "warn"}).log_level == "WARN"
    assert Settings.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_without_a_mapping_the_process_environment_is_read(monkeypatch):
    monkeypatch.setenv("PORT", "9999")
    assert Settings.from_env().port == 9999
    assert Settings.from_env({}).port == 8080


def test_every_field_declares_a_parser_bounds_and_whether_it_is_secret():
    for field in dataclasses.fields(Settings):
        assert callable(field.metadata["parse"]) and isinstance(field.metadata["bounds"], dict)
        assert field.metadata["secret"] is (field.name in ("coinpaprika_api_key", "coingecko_api_key",
                                                           "admin_token"))
    assert Settings().port == 8080 and Settings().database_url is None


def test_repr_masks_secrets_and_passwords_and_shows_the_rest():
    s = Settings(database_url="postgresql://svc:pw@db:5432/x", admin_token="t" * 20,
                 database_read_urls=("postgresql://r:pw2@r1/x", "postgresql://r1/x"), coingecko_api_key=None)
    text = repr(s)
    assert text.startswith("Settings(database_url='postgresql://svc:***@db:5432/x', embedded_pg_dir=")
    assert ", port=8080, " in text and "admin_token='***'" in text and "coingecko_api_key=None" in text
    assert "database_read_urls=('postgresql://r:***@r1/x', 'postgresql://r1/x')" in text
    assert "pw" not in text.replace("pg_dir", "") and "t" * 20 not in text
    assert s.secrets == ("t" * 20,)


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql://svc:pw@db/x", "postgresql://svc:***@db/x"),
    ("postgresql://:pw@db/x", "postgresql://:***@db/x"),
    ("postgresql://svc:p@ss@db/x", "postgresql://svc:***@db/x"),
    ("postgresql://svc@db/x", "postgresql://svc@db/x"),
    ("postgresql://db/x", "postgresql://db/x"),
])
def test_mask_password(url, masked):
    assert mask_password(url) == masked


def test_setting_declares_defaults_and_metadata():
    field = module.setting(5, module._integer, low=1)
    assert field.default == 5
    assert field.metadata == {"parse": module._integer, "bounds": {"low": 1}, "secret": False}
    assert module.setting(None, module._text, secret=True).metadata["secret"] is True
