"""The curated links file: what it accepts, and a bad line stopping start-up with the file and line named."""
from __future__ import annotations

import pytest

from service.etl.identity.curated import CuratedError, parse
from service.settings import PROJECT_ROOT, Settings, SettingsError

SOURCES = ("coinpaprika", "coingecko", "csv")


def test_comments_blank_lines_and_both_kinds_are_read():
    curated = parse("# header\n\nsame coingecko:binancecoin coinpaprika:bnb-binance-coin # renamed\n"
                    "APART coingecko:toncoin coinpaprika:ton-tokamak-network\n", "f", SOURCES)
    assert curated.same == (("coingecko:binancecoin", "coinpaprika:bnb-binance-coin"),)
    assert curated.apart == (("coingecko:toncoin", "coinpaprika:ton-tokamak-network"),)
    assert curated.origin("coinpaprika:bnb-binance-coin", "coingecko:binancecoin") == "f:3"


@pytest.mark.parametrize("text, problem", [
    ("link coingecko:a coinpaprika:b\n", "expected 'same|apart"),
    ("same coingecko:a\n", "expected 'same|apart"),
    ("same binance:a coinpaprika:b\n", "'binance:a' is not SOURCE:COIN_ID"),
    ("same coingecko: coinpaprika:b\n", "is not SOURCE:COIN_ID"),
    ("same coingecko:a coingecko:a\n", "names coingecko:a twice"),
    ("same coinpaprika:a coinpaprika:b\n", "two coins of one source"),
    ("same coingecko:g coinpaprika:a\nsame coingecko:g coinpaprika:b\n", "(one source) in one asset"),
    ("same coingecko:g coinpaprika:a\napart coinpaprika:a coingecko:g\n", "kept apart here but linked"),
])
def test_a_line_the_service_cannot_obey_names_file_and_line(text, problem):
    with pytest.raises(CuratedError) as caught:
        parse("# ok\n" + text, "data/asset_links", SOURCES)
    assert problem in str(caught.value)
    assert str(caught.value).startswith("data/asset_links:")
    line = int(str(caught.value).split(":")[1])
    assert line == 1 + len(text.splitlines())


def test_a_bad_line_stops_start_up_naming_the_variable_file_and_line(tmp_path):
    path = tmp_path / "links"
    path.write_text("same coingecko:bitcoin coinpaprika:btc-bitcoin\nsame csv:x\n")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ASSET_LINKS_PATH": str(path)})
    assert caught.value.variable == "ASSET_LINKS_PATH" and f"{path}:2:" in str(caught.value)
    with pytest.raises(SettingsError, match="cannot be read"):
        Settings.from_env({"ASSET_LINKS_PATH": str(tmp_path / "missing")})


def test_the_shipped_file_is_valid_and_curates_what_the_example_does():
    settings = Settings.from_env({})
    assert settings.asset_links_path == PROJECT_ROOT / "data" / "asset_links"
    shipped = settings.curated_links()
    example = Settings.from_env({"ASSET_LINKS_PATH": str(PROJECT_ROOT / "tests/identity/asset_links.example")})
    assert shipped.same == example.curated_links().same and shipped.apart == example.curated_links().apart


def test_the_example_file_reads():
    curated = Settings.from_env({"ASSET_LINKS_PATH": str(PROJECT_ROOT / "tests/identity/asset_links.example")})
    links = curated.curated_links()
    assert len(links.same) == 2 and links.apart == ()  # what the rule alone does not decide: two renamed symbols
