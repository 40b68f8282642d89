"""The settings the backfill, identity, stream and export features added: their bounds, the curated links file
read at start-up (ASSET_LINKS_PATH), and a raw password pasted into DATABASE_URL (encode_userinfo)."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from service.settings import Settings, SettingsError, encode_userinfo


def refusal(environ: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env(environ)
    return excinfo.value


# --- bounds of the new numeric settings ---

def test_new_settings_default_to_no_backfill_and_the_free_plans_reach():
    s = Settings.from_env({})
    assert s.backfill_days == 0  # the background backfill is opt-in
    assert (s.coingecko_history_max_days, s.coinpaprika_history_max_days) == (365, 365)
    assert s.coingecko_history_window_days == 90 and s.coinpaprika_history_hourly_days == 1
    assert s.stale_after_seconds == 3 * 3600
    assert s.stream_heartbeat_seconds <= 15 and s.export_max_concurrent >= 1


@pytest.mark.parametrize(("environ", "line"), [
    ({"BACKFILL_DAYS": "-1"}, "BACKFILL_DAYS: must be at least 0, got -1"),
    ({"BACKFILL_DAYS": "36501"}, "BACKFILL_DAYS: must be at most 36500, got 36501"),
    ({"COINGECKO_HISTORY_WINDOW_DAYS": "1"}, "COINGECKO_HISTORY_WINDOW_DAYS: must be at least 2, got 1"),
    ({"COINGECKO_HISTORY_WINDOW_DAYS": "91"}, "COINGECKO_HISTORY_WINDOW_DAYS: must be at most 90, got 91"),
    ({"COINGECKO_HISTORY_MAX_DAYS": "0"}, "COINGECKO_HISTORY_MAX_DAYS: must be at least 1, got 0"),
    ({"COINPAPRIKA_HISTORY_MAX_DAYS": "0"}, "COINPAPRIKA_HISTORY_MAX_DAYS: must be at least 1, got 0"),
    ({"COINPAPRIKA_HISTORY_HOURLY_DAYS": "-0.5"}, "COINPAPRIKA_HISTORY_HOURLY_DAYS: must be at least 0, got -0.5"),
    ({"STALE_AFTER_SECONDS": "0.5"}, "STALE_AFTER_SECONDS: must be at least 1, got 0.5"),
    # a float setting's upper bound holds too: a heartbeat slower than 15 s lets proxies drop quiet streams
    ({"STREAM_HEARTBEAT_SECONDS": "15.5"}, "STREAM_HEARTBEAT_SECONDS: must be at most 15, got 15.5"),
    ({"STREAM_HEARTBEAT_SECONDS": "0.01"}, "STREAM_HEARTBEAT_SECONDS: must be at least 0.05, got 0.01"),
    ({"STREAM_MAX_CLIENTS": "0"}, "STREAM_MAX_CLIENTS: must be at least 1, got 0"),
    ({"STREAM_CLIENT_BUFFER_KB": "15"}, "STREAM_CLIENT_BUFFER_KB: must be at least 16, got 15"),
    ({"STREAM_REPLAY_SECONDS": "soon"}, "STREAM_REPLAY_SECONDS: expected a number, got 'soon'"),
    ({"EXPORT_MAX_CONCURRENT": "0"}, "EXPORT_MAX_CONCURRENT: must be at least 1, got 0"),
    ({"EXPORT_TIMEOUT_SECONDS": "inf"}, "EXPORT_TIMEOUT_SECONDS: expected a finite number, got 'inf'"),
])
def test_new_settings_refuse_values_out_of_bounds(environ, line):
    error = refusal(environ)
    assert str(error) == line and error.variable == next(iter(environ))


@pytest.mark.parametrize(("variable", "value", "field", "parsed"), [
    ("BACKFILL_DAYS", "36500", "backfill_days", 36500),
    ("COINGECKO_HISTORY_WINDOW_DAYS", "2", "coingecko_history_window_days", 2),
    ("COINGECKO_HISTORY_WINDOW_DAYS", "90", "coingecko_history_window_days", 90),
    ("COINPAPRIKA_HISTORY_HOURLY_DAYS", "0", "coinpaprika_history_hourly_days", 0),
    ("STREAM_HEARTBEAT_SECONDS", "15", "stream_heartbeat_seconds", 15),
    ("STREAM_HEARTBEAT_SECONDS", "0.05", "stream_heartbeat_seconds", 0.05),
    ("STREAM_CLIENT_BUFFER_KB", "16", "stream_client_buffer_kb", 16),
    ("STALE_AFTER_SECONDS", "1", "stale_after_seconds", 1),
])
def test_new_settings_accept_their_bounds(variable, value, field, parsed):
    assert getattr(Settings.from_env({variable: value}), field) == parsed


# --- ASSET_LINKS_PATH: the curated links file is read and checked when the settings are ---

def test_a_readable_links_file_is_what_curated_links_returns(tmp_path):
    path = tmp_path / "links"
    path.write_text("# ours\nsame coingecko:binancecoin coinpaprika:bnb-binance-coin\n"
                    "apart coingecko:toncoin coinpaprika:ton-tokamak-network  # not the same coin\n")
    curated = Settings.from_env({"ASSET_LINKS_PATH": str(path)}).curated_links()
    assert curated.same == (("coingecko:binancecoin", "coinpaprika:bnb-binance-coin"),)
    assert curated.apart == (("coingecko:toncoin", "coinpaprika:ton-tokamak-network"),)
    assert curated.origin("coingecko:binancecoin", "coinpaprika:bnb-binance-coin") == f"{path}:2"


def test_an_empty_links_file_curates_nothing(tmp_path):
    path = tmp_path / "links"
    path.write_text("# nothing curated yet\n\n")
    curated = Settings.from_env({"ASSET_LINKS_PATH": str(path)}).curated_links()
    assert (curated.same, curated.apart) == ((), ())


def test_a_bad_line_is_a_settings_error_naming_the_variable_the_file_and_the_line(tmp_path):
    path = tmp_path / "links"
    path.write_text("same coingecko:bitcoin coinpaprika:btc-bitcoin\nsame coingecko:bitcoin\n")
    error = refusal({"ASSET_LINKS_PATH": str(path)})
    assert error.variable == "ASSET_LINKS_PATH"
    assert str(error) == (f"ASSET_LINKS_PATH: {path}:2: expected 'same|apart SOURCE:COIN_ID SOURCE:COIN_ID', "
                          "got 'same coingecko:bitcoin'")
    assert error.__suppress_context__  # the CuratedError behind it adds nothing to the line


def test_an_unknown_source_in_the_links_file_stops_start_up(tmp_path):
    path = tmp_path / "links"
    path.write_text("same binance:bnb coinpaprika:bnb-binance-coin\n")
    error = refusal({"ASSET_LINKS_PATH": str(path)})
    assert error.variable == "ASSET_LINKS_PATH"
    assert str(error).startswith(f"ASSET_LINKS_PATH: {path}:1: 'binance:bnb' is not SOURCE:COIN_ID")


def test_a_missing_links_file_is_a_settings_error(tmp_path):
    path = tmp_path / "missing"
    error = refusal({"ASSET_LINKS_PATH": str(path)})
    assert error.variable == "ASSET_LINKS_PATH"
    assert str(error).startswith(f"ASSET_LINKS_PATH: {path}: cannot be read: ")


# --- encode_userinfo: a raw password in DATABASE_URL ---

AWKWARD = "p@ss/w:rd?#1 %x"


@pytest.mark.parametrize(("url", "expected"), [
    # the user info is everything up to the last @; its first colon ends the user name
    (f"postgresql://crypto:{AWKWARD}@db:5432/crypto",
     "postgresql://crypto:p%40ss%2Fw%3Ard%3F%231%20%25x@db:5432/crypto"),
    # an @ that urlsplit would put in the path, the query or the fragment
    ("postgresql://u:a/b@db:5432/x?sslmode=require", "postgresql://u:a%2Fb@db:5432/x?sslmode=require"),
    ("postgresql://u:p?x@db/x", "postgresql://u:p%3Fx@db/x"),
    ("postgresql://u:p#x@db/x", "postgresql://u:p%23x@db/x"),
    # a user name alone (no password) is encoded the same way
    ("postgresql://me@x/y@db/x", "postgresql://me%40x%2Fy@db/x"),
    # a password holding :// is still a password
    ("postgresql://u:a://b/c@db/x", "postgresql://u:a%3A%2F%2Fb%2Fc@db/x"),
    # escapes already written stay single, in either case; a lone % becomes %25
    ("postgresql://u:p%2Fq/r@db/x", "postgresql://u:p%2Fq%2Fr@db/x"),
    ("postgresql://u:p%2fq/r@db/x", "postgresql://u:p%2fq%2Fr@db/x"),
    ("postgresql://u:100%/r@db/x", "postgresql://u:100%25%2Fr@db/x"),
    # the sub-delimiters RFC 3986 allows in user info are kept
    ("postgresql://u:!$&'()*+,;=-._~/@db/x", "postgresql://u:!$&'()*+,;=-._~%2F@db/x"),
])
def test_user_info_that_would_be_misread_is_percent_encoded(url, expected):
    assert encode_userinfo(url) == expected


@pytest.mark.parametrize("url", [
    "postgresql://u:p@db:5432/x",
    "postgresql://h/db",
    "postgresql://u:a%40b@db/x",
    "postgresql://u:p w@db/x",  # unambiguous as written: not touched even where encoding would change it
    "postgresql://u:p%zz@db/x",
    "postgresql://postgres@/postgres?host=/tmp/a@b",  # an @ inside a key=value pair of the query
    "postgresql://u:p@db/x?application_name=a@b",
    "no scheme@here/x@y",
])
def test_an_unambiguous_url_is_kept_as_written(url):
    assert encode_userinfo(url) == url


@pytest.mark.parametrize("password", [AWKWARD, "a@b@c", "#?/", "x:y:z", "50%", "@/ :%"])
def test_the_password_read_back_from_the_url_is_the_one_written(password):
    encoded = encode_userinfo(f"postgresql://app:{password}@db:5432/market")
    parts = urlsplit(encoded)
    assert (parts.username, parts.hostname, parts.port, parts.path) == ("app", "db", 5432, "/market")
    assert unquote(parts.password) == password


def test_database_urls_read_from_the_environment_are_encoded():
    s = Settings.from_env({"DATABASE_URL": "postgresql://app:a/b@db/market",
                           "DATABASE_READ_URLS": "postgresql://ro:c#d@standby/market"})
    assert s.database_url == "postgresql://app:a%2Fb@db/market"
    assert s.database_read_urls == ("postgresql://ro:c%23d@standby/market",)
    assert "a%2Fb" not in repr(s) and "c%23d" not in repr(s)
