"""Compact JSON with exact decimals: a Decimal is written as a JSON number with its own digits."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value.is_finite():
            return orjson.Fragment(format(value, "f"))
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTIONS | (orjson.OPT_SORT_KEYS if sort_keys else 0))


def loads_exact(data: bytes | str) -> Any:
    """Parses JSON keeping every non-integer number as a Decimal."""
    return json.loads(data, parse_float=Decimal, parse_constant=Decimal)


def loads_digits(data: bytes | str) -> Any:
    """Parses JSON keeping every non-integer number as its text (the digits as sent, for PostgreSQL to read)."""
    return json.loads(data, parse_float=str, parse_constant=str)
