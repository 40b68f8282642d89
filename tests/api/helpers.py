"""Loading test data through the real pipeline: small CSV files run by the CSV source."""
from __future__ import annotations

import asyncio
from pathlib import Path

from service.etl.pipeline import RunOutcome, run_source
from service.etl.sources.csv import CsvSource

HEADER = "symbol,name,price_usd,market_cap_usd,volume_24h_usd,percent_change_24h,rank,last_updated\n"


def coin_rows(count: int, *, hour: int = 0, prefix: str = "C", price: str = "1.5") -> str:
    """`count` distinct coins observed at 2026-01-01 `hour`:00 UTC, market caps all different."""
    return "".join(f"{prefix}{i},{prefix}coin {i},{price},{1000 + i},{10 + i},0.5,{i + 1},"
                   f"2026-01-01T{hour:02d}:00:00Z\n" for i in range(count))


async def load_csv(pool, path: Path, body: str) -> RunOutcome:
    path.write_text(HEADER + body)
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success", outcome.error
    return outcome


async def health(client, after: dict | None = None) -> dict:
    """/health's answer; given the answer before a change made behind the service's back, the first answer of a
    check made after it (one check is reused until the change's notification reaches the service)."""
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        response = await client.get("/health")
        assert response.status == 200
        body = await response.json()
        if after is None or body["checked_at"] != after["checked_at"]:
            return body
        assert asyncio.get_running_loop().time() < deadline, "no new check within 5 s of a change"
        await asyncio.sleep(0.01)
