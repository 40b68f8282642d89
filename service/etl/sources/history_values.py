"""A historical point's values as the upstream sent them, judged: exact times, numbers kept as their digits."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from service.etl.normalize import Invalid
from service.jsonutil import dumps

_RAW_LIMIT = 10_000
_MAX_MAGNITUDE = 1e30  # as normalize.decimal: beyond it a figure is garbage, not a market value


def raw_text(value: Any) -> str:
    """A refused value as a reject keeps it: its JSON, cut to the rejects' limit."""
    return _json(value)[:_RAW_LIMIT]


def from_milliseconds(value: Any) -> datetime:
    """A Unix time in milliseconds (CoinGecko's), exactly to the millisecond."""
    if type(value) is not int:
        if isinstance(value, str):  # a float's text (loads_digits), e.g. 1711846862345.0
            try:
                value = Decimal(value)
            except ArithmeticError:
                raise Invalid(f"timestamp is not a time in milliseconds: {value!r}") from None
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"timestamp is not a time in milliseconds: {value!r}")
    if not 0 <= value < 10 ** 14:
        raise Invalid(f"timestamp is out of range: {value!r}")
    seconds, milliseconds = divmod(value, 1000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=milliseconds * 1000)


def _json(value: Any) -> str:
    return dumps(value).decode()


def number_text(value: Any, field: str, *, required: bool = False, positive: bool = False) -> str | None:
    """A JSON number as its digits (as loads_digits reads it: a float's text, an int), judged as normalize.decimal
    judges one: finite, below 1e30 in magnitude, not negative (a price not zero either)."""
    if value is None:
        if required:
            raise Invalid(f"{field} is missing")
        return None
    kind = type(value)
    if kind is int:
        magnitude, value = value, str(value)
    elif kind is str and value and (value[0].isdigit() or value[0] == "-"):  # a JSON number's text
        magnitude = float(value)
    else:
        raise Invalid(f"{field} is not a number: {value!r}")
    if not -_MAX_MAGNITUDE < magnitude < _MAX_MAGNITUDE:
        raise Invalid(f"{field} is out of range: {value}")
    if magnitude < 0:
        raise Invalid(f"{field} is negative: {value}")
    if positive and magnitude == 0:
        raise Invalid(f"{field} is zero")
    return value
