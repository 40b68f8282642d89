"""Opaque pagination cursors: URL-safe base64 of an HMAC tag and a small JSON object, checked on the way in.

The tag makes a forged or edited cursor a 400 before any of its fields is looked at. Its key is the
deployment's (service_keys in the database, made on first use, shared by every process and restart); until
a database gave one, a random key of this process signs (unit tests, tools).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from service.sql import SQL
from service.web.errors import ApiError

KEY_NAME = "cursor-signing"
TAG_BYTES = 16
_key = os.urandom(32)


def use_key(key: bytes) -> None:
    global _key
    _key = bytes(key)


async def stored_key(pool) -> bytes:
    """The deployment's cursor key from the database, made now if it has none."""
    for _ in range(3):
        key = await pool.fetchval(SQL.upsert_service_key, KEY_NAME, os.urandom(32))
        if key is not None:
            return bytes(key)
    raise RuntimeError("could not read or store the cursor signing key")


def encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(_tag(raw) + raw).rstrip(b"=").decode()


def decode(cursor: str, required: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The cursor's fields, or a 400 naming `cursor` when it is not one this service made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        signed = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid() from None
    tag, raw = signed[:TAG_BYTES], signed[TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(raw)):
        raise invalid()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeError):
        raise invalid() from None
    if not isinstance(payload, dict):
        raise invalid()
    for name, kind in required.items():
        if name not in payload or not isinstance(payload[name], kind):
            raise invalid()
    return payload


def _tag(raw: bytes) -> bytes:
    return hmac.new(_key, raw, hashlib.sha256).digest()[:TAG_BYTES]


def invalid() -> ApiError:
    return ApiError(400, "invalid parameter(s): cursor", code="invalid_parameters",
                    fields={"cursor": ["not a cursor this service issued; start again without it"]})


def bound_query(state: dict[str, Any], query: dict[str, Any], sent: set[str],
                names: tuple[str, ...]) -> dict[str, Any]:
    """The query a cursor was issued for: its filters and order come with it, so a client may send the
    cursor alone. A parameter sent again with another value is a 400 (the cursor would skip or repeat)."""
    bound = state.get("q")
    if not isinstance(bound, dict) or set(bound) - set(names) \
            or not all(v is None or isinstance(v, str) for v in bound.values()):
        raise invalid()
    merged = dict(query)
    for name in names:
        value = bound.get(name)
        if name in sent and _text(query.get(name)) != value:
            raise ApiError(400, f"invalid parameter(s): cursor, {name}", code="invalid_parameters", fields={
                "cursor": [f"issued for another {name}; send the cursor alone or with the same {name}"]})
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def query_state(query: dict[str, Any], names: tuple[str, ...]) -> dict[str, str | None]:
    """The parameters a cursor carries, as text."""
    return {name: _text(query.get(name)) for name in names}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def kept_limit(state: dict[str, Any], query: dict[str, Any], sent: set[str]) -> int:
    """A cursor keeps its page's `limit` (the `l` it carries) unless the caller sends one again."""
    kept = state.get("l")
    if "limit" in sent or kept is None:
        return query["limit"]
    if type(kept) is not int or kept < 1:
        raise invalid()
    return kept


def sent_names(request) -> set[str]:
    """The query parameters the caller sent, by their schema attribute names (`from` is `from_`)."""
    return {"from_" if name == "from" else name for name in request.query}
