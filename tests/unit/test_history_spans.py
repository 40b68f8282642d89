"""The spans a backfill asks for: gaps minus what was asked before, whole buckets, windows, checkpoints."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from service.etl.normalize import Invalid
from service.etl.sources.history_spans import cut, from_position, merge, minus, to_position, whole_buckets
from service.etl.sources.history_values import from_milliseconds, number_text

T = datetime(2026, 11, 1, tzinfo=timezone.utc)
H = timedelta(hours=1)


def test_minus_keeps_the_parts_of_a_gap_outside_what_was_asked():
    assert minus((T, T + 10 * H), None) == [(T, T + 10 * H)]
    assert minus((T, T + 10 * H), (T + 2 * H, T + 5 * H)) == [(T, T + 2 * H), (T + 5 * H, T + 10 * H)]
    assert minus((T, T + 10 * H), (T - H, T + 11 * H)) == []
    assert minus((T, T + 10 * H), (T + 10 * H, T + 20 * H)) == [(T, T + 10 * H)]


def test_whole_buckets_drop_a_piece_cut_mid_bucket():
    assert whole_buckets([(T + 30 * timedelta(minutes=1), T + 3 * H)], 3600) == [(T + H, T + 3 * H)]
    assert whole_buckets([(T + timedelta(minutes=10), T + timedelta(minutes=50))], 3600) == []


def test_cut_groups_gaps_into_windows_of_at_most_the_width():
    gaps = [(T + k * 10 * H, T + (k * 10 + 1) * H) for k in range(30)]  # an hour in ten, 300 hours
    windows = cut(gaps, timedelta(days=5))
    assert [(lo, hi) for lo, hi, _ in windows] == [(T, T + 111 * H), (T + 120 * H, T + 231 * H),
                                                   (T + 240 * H, T + 291 * H)]
    assert sum(len(pieces) for *_, pieces in windows) == 30
    long = cut([(T, T + 200 * H)], timedelta(hours=90))
    assert [(lo, hi) for lo, hi, _ in long] == [(T, T + 90 * H), (T + 90 * H, T + 180 * H), (T + 180 * H, T + 200 * H)]


def test_merge_joins_touching_spans_and_else_keeps_the_new_one():
    assert merge(None, (T, T + H)) == (T, T + H)
    assert merge((T, T + 2 * H), (T + 2 * H, T + 5 * H)) == (T, T + 5 * H)
    assert merge((T, T + H), (T + 3 * H, T + 5 * H)) == (T + 3 * H, T + 5 * H)
    assert from_position(to_position((T, T + H))) == (T, T + H)
    assert from_position({"from": "garbage"}) is None


def test_milliseconds_are_exact_and_numbers_keep_their_digits():
    assert from_milliseconds(1711846862345) == datetime(2024, 3, 31, 1, 1, 2, 345000, tzinfo=timezone.utc)
    assert from_milliseconds("1711846862345.0") == from_milliseconds(1711846862345)
    for bad in (True, "x", 1.5e30, -1, "1711846862345.5"):
        with pytest.raises(Invalid):
            from_milliseconds(bad)
    assert number_text("6.31917e-7", "price", positive=True) == "6.31917e-7"
    assert number_text(1734455123456, "market_cap") == "1734455123456"
    assert number_text(None, "market_cap") is None
    for bad, reason in (("0.0", "zero"), ("-1.5", "negative"), ("1e31", "out of range"), ("NaN", "not a number"),
                        (None, "missing"), ([1], "not a number")):
        with pytest.raises(Invalid, match=reason):
            number_text(bad, "price", positive=True, required=True)
