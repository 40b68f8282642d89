"""upstream: Retry-After parsing, the CoinGecko key header, the token bucket."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from service.etl.upstream import TokenBucket, retry_after_seconds
from service.etl.wiring import coingecko_key_header

NOW = datetime(2026, 11, 25, 16, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("1", 1.0), ("119", 119.0), (" 2.5 ", 2.5), ("0", 0.0), ("-5", 0.0),
    ("Wed, 25 Nov 2026 16:00:30 GMT", 30.0),
    ("Wed, 25 Nov 2026 16:00:30 -0000", 30.0),
    ("Wed, 25 Nov 2026 15:59:00 GMT", 0.0),  # a date in the past: go now
    (None, None), ("", None), ("soon", None), ("nan", None), ("inf", None),
])
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, now=NOW) == expected


@pytest.mark.parametrize("base_url, header", [
    ("https://api.coingecko.com/api/v3", "x-cg-demo-api-key"),
    ("https://pro-api.coingecko.com/api/v3", "x-cg-pro-api-key"),
    ("https://PRO-API.coingecko.com/api/v3/", "x-cg-pro-api-key"),
    ("http://127.0.0.1:8080/api/v3?next=pro-api.coingecko.com", "x-cg-demo-api-key"),
])
def test_coingecko_key_header(base_url, header):
    assert coingecko_key_header(base_url) == header


async def test_token_bucket_spaces_requests_beyond_the_burst():
    bucket = TokenBucket(rate=20, capacity=2)
    started = time.monotonic()
    for _ in range(6):
        await bucket.take()
    assert time.monotonic() - started >= (6 - 2) / 20 * 0.9
