"""What the two API sources share: drift check, normalizing items, skipping coins that did not change."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from service.etl import drift
from service.etl.normalize import Invalid, not_future
from service.etl.records import QUOTE_COLUMNS, Batch, DriftError, Reject, SourceError
from service.etl.sources.api_stager import ApiRecords, ApiStager
from service.etl.upstream import Upstream
from service.jsonutil import dumps

log = logging.getLogger(__name__)
_OBSERVED_AT = QUOTE_COLUMNS.index("observed_at")
_COIN_ID = QUOTE_COLUMNS.index("coin_id")


class ApiSource:
    """An API source: one upstream, its records normalized in Python and staged by COPY."""

    name: str

    def __init__(self, upstream: Upstream, *, future_tolerance: float):
        self.upstream = upstream
        self.future_tolerance = future_tolerance

    def stager(self, run_id: int) -> ApiStager:
        return ApiStager(run_id)


def items_batch(source: str, items: Any, *, expectation: drift.Expectation,
                normalize: Callable[[Mapping], tuple], known: Mapping[str, datetime],
                columns: tuple[str, ...], stream: str, position: dict, nbytes: int, what: str,
                future_tolerance: float) -> Batch:
    """One payload (a JSON array of coins) as a batch; raises SourceError when the payload is unusable."""
    if not isinstance(items, list):
        raise SourceError(f"{source} sent {_json_kind(items)} instead of an array of {what}; nothing loaded")
    objects = [item for item in items if isinstance(item, dict)]
    report = drift.check(objects, expectation)
    found = report.as_dict()
    if report.breaking:
        raise DriftError(f"{source} payload broke its schema: {report.describe()}; nothing loaded", found)
    if found:
        log.warning("schema drift", extra={"drift": found})
    fetched_at = datetime.now(timezone.utc)
    not_after = fetched_at + timedelta(seconds=future_tolerance)
    quotes, rejects, raw, skipped = [], [], [], 0
    for index, item in enumerate(items):
        payload = dumps(item, sort_keys=True).decode()
        if not isinstance(item, dict):
            rejects.append(Reject(f"{stream}[{index}]", payload[:10_000], "item is not a JSON object"))
            continue
        try:
            quote = normalize(item)
            not_future(quote[_OBSERVED_AT], not_after)
        except Invalid as exc:
            rejects.append(Reject(_location(item, stream, index), payload[:10_000], str(exc)))
            continue
        newest = known.get(quote[_COIN_ID])
        if newest is not None and quote[_OBSERVED_AT] <= newest:
            skipped += 1
            continue
        digest = hashlib.blake2b(payload.encode(), digest_size=16).digest()
        raw.append((source, fetched_at, quote[_COIN_ID], digest, payload))
        quotes.append(quote)
    records = ApiRecords(read=len(items), columns=columns, quotes=tuple(quotes), rejects=tuple(rejects),
                         raw=tuple(raw), skipped=skipped)
    return Batch(stream=stream, position=position, payload=records, pages=1, bytes=nbytes, drift=found)


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:5])
        return f"a JSON object (keys: {keys})" if keys else "an empty JSON object"
    names = {str: "a JSON string", bool: "a JSON boolean", type(None): "JSON null"}
    return names.get(type(value), "a JSON number")


def _location(item: Mapping, stream: str, index: int) -> str:
    """The coin id, as the source names the coin; an item without a usable id by its place in the payload."""
    coin = item.get("id")
    return coin.strip() if isinstance(coin, str) and coin.strip() else f"{stream}[{index}]"
