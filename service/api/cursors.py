"""Opaque pagination cursors: URL-safe base64 of a small JSON object, checked field by field on the way in."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from service.errors import ApiError


def encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, required: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The cursor's fields, or a 400 naming `cursor` when it is not one this service made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid() from None
    if not isinstance(payload, dict):
        raise invalid()
    for name, kind in required.items():
        if name not in payload or not isinstance(payload[name], kind):
            raise invalid()
    return payload


def invalid() -> ApiError:
    return ApiError(400, "invalid parameter(s): cursor", code="invalid_parameters",
                    fields={"cursor": ["not a cursor this service issued; start again without it"]})
