"""Weak ETags of answers that change only with the data generation (/history, /candles), and their headers."""
from __future__ import annotations

import hashlib


def generation_etag(version: str, query_string: str) -> str:
    """Names the answer to this query in this data generation."""
    digest = hashlib.blake2b(query_string.encode(), digest_size=8).hexdigest()
    return f'W/"h{version}-{digest}"'


def cache_headers(etag: str) -> dict[str, str]:
    """Clients may keep the answer but must revalidate it (If-None-Match) before each use."""
    return {"ETag": etag, "Cache-Control": "no-cache"}
