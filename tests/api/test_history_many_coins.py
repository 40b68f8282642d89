"""/history over many coins sharing a symbol, some dense, some sparse, some gone: every observation once, in order,
whatever the page size, with pages that may stop early but never lose or repeat a row."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.helpers import load_csv
from tests.api.test_pagination import walk

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def observations() -> str:
    rows = []
    for c in range(30):  # hourly coins
        rows += [(f"Hourly {c}", h * 60) for h in range(12)]
    rows += [("Dense", m) for m in range(0, 720, 3)]  # every 3 minutes over the same 12 hours
    rows += [("Early", m) for m in range(5)]  # a coin that stopped long ago
    rows += [("Late", 700 + m) for m in range(3)]  # one that started late
    return "".join(f"DUP,{name},{i + 1},,,,,{(START + timedelta(minutes=minute)).isoformat()}\n"
                   for i, (name, minute) in enumerate(rows))


@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
async def test_every_observation_once_in_order(client, pool, tmp_path, limit):
    await load_csv(pool, tmp_path / "a.csv", observations())
    expected = await pool.fetch("SELECT observed_at, source, coin_id FROM quotes_history WHERE symbol = 'DUP' "
                                "ORDER BY observed_at, source, coin_id")
    records = await walk(client, f"/history?symbol=DUP&limit={limit}")
    got = [(r["observed_at"], r["source"], r["coin_id"]) for r in records]
    want = [(row["observed_at"].isoformat().replace("+00:00", "Z"), row["source"], row["coin_id"])
            for row in expected]
    assert got == want
    assert len(want) == 30 * 12 + 240 + 5 + 3
