"""Raw values -> the normalized quote: exact Decimals, UTC times, upper-case symbols, canonical match keys."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

# Beyond this a figure is garbage (1e400, overflowed counters), not a market value.
_MAX_MAGNITUDE = Decimal("1e30")
_ZERO = Decimal(0)
_MAX_NUMBER_CHARS = 64
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class Invalid(ValueError):
    """A value fails validation; the message is the reject reason."""


def decimal(value, field: str, *, required: bool = False, signed: bool = False) -> Decimal | None:
    if type(value) is Decimal and value.is_finite() and _ZERO < value < _MAX_MAGNITUDE:
        return value  # the common case, a positive JSON number read as Decimal, decided in one pass
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise Invalid(f"{field} is missing")
        return None
    if isinstance(value, bool):
        raise Invalid(f"{field} is not a number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_CHARS:
            raise Invalid(f"{field} is not a number: {text[:20]!r}... ({len(text)} characters)")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Invalid(f"{field} is not a number: {text!r}") from None
    else:
        raise Invalid(f"{field} is not a number: {value!r}")
    if not number.is_finite():
        raise Invalid(f"{field} is not finite: {value}")
    if abs(number) >= _MAX_MAGNITUDE:
        raise Invalid(f"{field} is out of range: {value}")
    if not signed and number < 0:
        raise Invalid(f"{field} is negative: {value}")
    # NUMERIC has no negative zero: '-0.00' is stored (and read by PostgreSQL) as 0.00, its digits kept
    return number if number or not number.is_signed() else number.copy_abs()


def positive_price(value, field: str = "price_usd") -> Decimal:
    price = decimal(value, field, required=True)
    if price == 0:
        raise Invalid(f"{field} is zero")
    return price


def rank(value, field: str = "rank") -> int | None:
    number = decimal(value, field)
    if number is None:
        return None
    if number != number.to_integral_value() or not 1 <= number <= 2_000_000_000:
        raise Invalid(f"{field} is not a positive whole number: {value}")
    return int(number)


def timestamp(value, field: str = "last_updated") -> datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(f"{field} is missing")
    if not isinstance(value, str):
        raise Invalid(f"{field} is not an ISO-8601 time: {value!r}")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{field} is not an ISO-8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def optional_timestamp(value, field: str) -> datetime | None:
    """A time a source may leave out (null or empty); when given it must be ISO-8601."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return timestamp(value, field)


def not_future(moment: datetime, not_after: datetime, field: str = "last_updated") -> datetime:
    """`moment`, unless it is later than `not_after` (the service's clock plus FUTURE_TOLERANCE_SECONDS)."""
    if moment > not_after:
        # a mistyped year would freeze the coin's latest state until that date
        raise Invalid(f"{field} is in the future: {moment.isoformat()} is more than FUTURE_TOLERANCE_SECONDS "
                      "ahead of the service's clock")
    return moment


def symbol(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("symbol is empty")
    text = value.strip().upper()
    if len(text) > 64:
        raise Invalid(f"symbol is longer than 64 characters: {text[:20]!r}...")
    return text


def name(value, fallback: str) -> str:
    if value is None:
        return fallback
    if not isinstance(value, str):
        raise Invalid(f"name is not text: {value!r}")
    text = value.strip()
    if len(text) > 200:
        raise Invalid(f"name is longer than 200 characters: {text[:20]!r}...")
    return text or fallback


def coin_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("id is empty")
    return value.strip()


def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-") or text.strip().lower()


def match_key(symbol_text: str, name_text: str) -> str:
    """The canonical-asset rule: same upper-case symbol and same name slug are the same coin."""
    return f"{symbol_text}:{slug(name_text)}"
