"""normalize: exact Decimals, the validation reasons, UTC times, symbols and the canonical match key."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from service.etl import normalize as n


@pytest.mark.parametrize("raw, expected", [
    ("6.31917e-7", Decimal("6.31917e-7")),
    (Decimal("0.000012345678901234"), Decimal("0.000012345678901234")),
    (" 42 ", Decimal(42)),
    (7, Decimal(7)),
    (0.1, Decimal("0.1")),
    ("1E+2", Decimal("1E+2")),
])
def test_decimal_keeps_every_digit(raw, expected):
    value = n.decimal(raw, "price_usd")
    assert value == expected and isinstance(value, Decimal)
    assert str(value) == str(expected)


def test_decimal_negative_zero_becomes_zero():
    assert str(n.decimal("-0", "x")) == "0"
    assert str(n.decimal("-0.00", "x")) == "0.00"  # as PostgreSQL reads it: no sign, the digits kept


@pytest.mark.parametrize("raw, reason", [
    ("abc", "price_usd is not a number: 'abc'"),
    ("NaN", "price_usd is not finite: NaN"),
    (Decimal("Infinity"), "price_usd is not finite: Infinity"),
    ("1e400", "price_usd is out of range: 1e400"),
    (Decimal("1e400"), "price_usd is out of range: 1E+400"),
    ("-1", "price_usd is negative: -1"),
    (True, "price_usd is not a number: True"),
    ([1], "price_usd is not a number: [1]"),
    ("1" * 65, "price_usd is not a number: '11111111111111111111'... (65 characters)"),
])
def test_decimal_rejects_with_a_reason(raw, reason):
    with pytest.raises(n.Invalid) as caught:
        n.decimal(raw, "price_usd")
    assert str(caught.value) == reason


def test_missing_values():
    assert n.decimal(None, "x") is None and n.decimal("  ", "x") is None
    with pytest.raises(n.Invalid, match="price_usd is missing"):
        n.positive_price("")
    with pytest.raises(n.Invalid, match="price_usd is zero"):
        n.positive_price("0")
    assert n.decimal("-3.5", "change", signed=True) == Decimal("-3.5")


@pytest.mark.parametrize("raw, expected", [(None, None), ("3", 3), (Decimal("12"), 12), (1, 1)])
def test_rank(raw, expected):
    assert n.rank(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("1.5", "rank is not a positive whole number: 1.5"), ("0", "rank is not a positive whole number: 0"),
    ("-2", "rank is negative: -2"), ("3000000000", "rank is not a positive whole number: 3000000000"),
])
def test_rank_rejects(raw, reason):
    with pytest.raises(n.Invalid) as caught:
        n.rank(raw)
    assert str(caught.value) == reason


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-25T16:00:00Z", datetime(2026, 11, 25, 16, tzinfo=timezone.utc)),
    ("2024-04-07T16:49:31.736Z", datetime(2024, 4, 7, 16, 49, 31, 736000, tzinfo=timezone.utc)),
    ("2026-01-01T00:00:00", datetime(2026, 1, 1, tzinfo=timezone.utc)),
    ("2026-01-01T02:00:00+02:00", datetime(2026, 1, 1, tzinfo=timezone.utc)),
])
def test_timestamp_is_utc(raw, expected):
    moment = n.timestamp(raw)
    assert moment == expected and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw, reason", [
    ("yesterday", "last_updated is not an ISO-8601 time: 'yesterday'"),
    (None, "last_updated is missing"),
    (1700000000, "last_updated is not an ISO-8601 time: 1700000000"),
])
def test_timestamp_rejects(raw, reason):
    with pytest.raises(n.Invalid) as caught:
        n.timestamp(raw)
    assert str(caught.value) == reason


def test_symbol_name_and_ids():
    assert n.symbol(" btc ") == "BTC"
    for bad in ("", "  ", None, 5):
        with pytest.raises(n.Invalid, match="symbol is empty"):
            n.symbol(bad)
    assert n.name(None, "BTC") == "BTC" and n.name("  ", "BTC") == "BTC" and n.name(" Bitcoin ", "B") == "Bitcoin"
    with pytest.raises(n.Invalid, match="name is not text"):
        n.name(3, "X")
    with pytest.raises(n.Invalid, match="id is empty"):
        n.coin_id("")


def test_match_key_joins_same_coin_and_separates_shared_symbols():
    assert n.match_key("BTC", "Bitcoin") == n.match_key("BTC", "bitcoin") == "BTC:bitcoin"
    assert n.match_key("SHIB", "Shiba Inu") == n.match_key("SHIB", "Shiba-Inu") == "SHIB:shiba-inu"
    assert n.match_key("META", "Meta") != n.match_key("META", "Metaverse Token")
    assert n.match_key("BTC", "Bitcoin") != n.match_key("BTCB", "Bitcoin")


def test_not_future_refuses_only_what_is_past_the_limit():
    limit = datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)
    assert n.not_future(limit, limit) == limit  # exactly at the tolerance: accepted
    assert n.not_future(limit - timedelta(days=365), limit) == limit - timedelta(days=365)
    with pytest.raises(n.Invalid, match="^last_updated is in the future: 2026-01-01T00:10:01"):
        n.not_future(limit + timedelta(seconds=1), limit)
