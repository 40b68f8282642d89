"""Spans of time a backfill deals in: the gaps minus what was asked for before, cut to whole buckets, grouped
into request windows, and the span asked for so far (a coin's checkpoint)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
Span = tuple[datetime, datetime]


def seconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(seconds=1)


def floor(moment: datetime, step: int) -> datetime:
    """The start of the bucket of `step` seconds holding `moment`."""
    return EPOCH + timedelta(seconds=seconds(moment) // step * step)


def minus(gap: Span, asked: Span | None) -> list[Span]:
    """The parts of `gap` outside the span already asked for."""
    if asked is None or asked[1] <= gap[0] or gap[1] <= asked[0]:
        return [gap]
    return [piece for piece in ((gap[0], asked[0]), (asked[1], gap[1])) if piece[0] < piece[1]]


def whole_buckets(pieces: list[Span], step: int) -> list[Span]:
    """Each piece shrunk to the whole buckets it holds (a piece cut mid-bucket by the span asked for before)."""
    out = []
    for lo, hi in pieces:
        first = floor(lo, step)
        if first < lo:
            first += timedelta(seconds=step)
        last = floor(hi, step)
        if first < last:
            out.append((first, last))
    return out


def cut(missing: list[Span], width: timedelta) -> list[tuple[datetime, datetime, list[Span]]]:
    """Windows of at most `width`, in time order, each the hull of the missing spans (or parts) it holds."""
    windows: list[tuple[datetime, datetime, list[Span]]] = []
    for lo, hi in sorted(missing):
        while lo < hi:
            if windows and lo < windows[-1][0] + width:
                start, _, pieces = windows[-1]
                end = min(hi, start + width)
                pieces.append((lo, end))
                windows[-1] = (start, end, pieces)
            else:
                end = min(hi, lo + width)
                windows.append((lo, end, [(lo, end)]))
            lo = end
    return windows


def merge(asked: Span | None, new: Span) -> Span:
    """The span asked for so far: the two together when they touch, else the newer one alone (asking again for
    a span is only a wasted request, never a missed one)."""
    if asked is None or asked[1] < new[0] or new[1] < asked[0]:
        return new
    return (min(asked[0], new[0]), max(asked[1], new[1]))


def from_position(position: Mapping[str, Any] | None) -> Span | None:
    try:
        return (datetime.fromisoformat(position["from"]), datetime.fromisoformat(position["to"]))
    except (TypeError, KeyError, ValueError):
        return None


def to_position(span: Span) -> dict[str, str]:
    return {"from": span[0].isoformat(), "to": span[1].isoformat()}
