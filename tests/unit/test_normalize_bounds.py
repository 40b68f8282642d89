"""normalize's limits, exactly at and just past each bound, with the reasons they give."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from service.etl import normalize as n
from service.etl.normalize import Invalid


def reason(call, *args, **kwargs) -> str:
    with pytest.raises(Invalid) as excinfo:
        call(*args, **kwargs)
    return str(excinfo.value)


def test_a_number_of_64_characters_is_read_and_65_is_refused_unread():
    sixty_four = "0." + "1" * 62
    assert n.decimal(sixty_four, "x") == Decimal(sixty_four)
    sixty_five = "0." + "1" * 63
    assert reason(n.decimal, sixty_five, "x") == "x is not a number: '0.111111111111111111'... (65 characters)"


def test_magnitude_just_under_1e30_is_kept_and_1e30_refused():
    assert n.decimal("9.99999e29", "x") == Decimal("9.99999e29")
    assert reason(n.decimal, "1e30", "x") == "x is out of range: 1e30"
    assert reason(n.decimal, "-1e30", "x", signed=True) == "x is out of range: -1e30"


def test_rank_bounds():
    assert n.rank("2000000000") == 2_000_000_000 and n.rank(1) == 1
    assert reason(n.rank, "2000000001") == "rank is not a positive whole number: 2000000001"
    assert reason(n.rank, "0") == "rank is not a positive whole number: 0"
    assert reason(n.rank, "1.5") == "rank is not a positive whole number: 1.5"
    assert n.rank("3.0") == 3 and n.rank(None) is None


def test_times_become_utc_exactly():
    moment = n.timestamp("2026-01-01T05:00:00+05:00")
    assert moment == datetime(2026, 1, 1, tzinfo=timezone.utc) and moment.tzinfo is timezone.utc
    assert n.timestamp("2026-01-01T00:00:00").tzinfo is timezone.utc
    long_garbage = "x" * 60
    assert reason(n.timestamp, long_garbage) == f"last_updated is not an ISO-8601 time: {'x' * 40!r}"
    assert reason(n.timestamp, " ") == "last_updated is missing"
    assert reason(n.timestamp, 5, "when") == "when is not an ISO-8601 time: 5"


def test_symbol_length_limit():
    assert n.symbol(" " + "a" * 64 + " ") == "A" * 64
    assert reason(n.symbol, "b" * 65) == f"symbol is longer than 64 characters: {'B' * 20!r}..."
    assert reason(n.symbol, "  ") == "symbol is empty"
    assert reason(n.symbol, 7) == "symbol is empty"


def test_name_length_limit():
    assert n.name("c" * 200, "fb") == "c" * 200
    assert reason(n.name, "d" * 201, "fb") == f"name is longer than 200 characters: {'d' * 20!r}..."
    assert reason(n.name, 3, "fb") == "name is not text: 3"
    assert n.name(None, "fb") == "fb" and n.name("  ", "fb") == "fb"


def test_coin_id():
    assert n.coin_id(" btc-bitcoin ") == "btc-bitcoin"
    for bad in ("", "   ", None, 5):
        assert reason(n.coin_id, bad) == "id is empty"


@pytest.mark.parametrize(("text", "expected"), [
    ("Bitcoin Cash", "bitcoin-cash"), ("--Ether--", "ether"), ("  Ünï  ", "n"), ("!!!", "!!!"),
    (" ??? ", "???"), ("ABC", "abc"), ("a  b", "a-b"),
])
def test_slug(text, expected):
    assert n.slug(text) == expected


def test_optional_timestamp():
    assert n.optional_timestamp(None, "ath_date") is None
    assert n.optional_timestamp("  ", "ath_date") is None
    assert n.optional_timestamp("2026-01-01T05:00:00+05:00", "ath_date") == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert reason(n.optional_timestamp, "soon", "ath_date") == "ath_date is not an ISO-8601 time: 'soon'"


def test_not_future_allows_up_to_the_bound_and_says_why_past_it():
    bound = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert n.not_future(bound, bound) == bound
    later = datetime(2026, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert reason(n.not_future, later, bound) == (
        "last_updated is in the future: 2026-01-01T00:00:01+00:00 is more than FUTURE_TOLERANCE_SECONDS ahead "
        "of the service's clock")
