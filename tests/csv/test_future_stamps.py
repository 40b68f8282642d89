"""Issue 11: a CSV observation stamped beyond FUTURE_TOLERANCE_SECONDS is a reject saying "future", on every way."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from service.etl.csv import copy_way
from tests.csv.support import HEADER, load, snapshot


def _stamp(seconds_ahead: float, spelling: str = "%Y-%m-%dT%H:%M:%SZ") -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds_ahead)).strftime(spelling)


@pytest.mark.parametrize("way", ["copy", "python"])
async def test_a_future_stamp_is_refused_and_small_skew_accepted(way, pool, tmp_path, monkeypatch):
    taken = []
    can_take = copy_way.can_take
    monkeypatch.setattr(copy_way, "can_take", lambda block: taken.append(1) or (way == "copy" and can_take(block)))
    rows = [f"BTC,Bitcoin,1,,,,,{_stamp(-3600)}",
            f"BTC,Bitcoin,2,,,,,{_stamp(60)}",  # the clock of whoever wrote the file runs a minute ahead
            f"BTC,Bitcoin,3,,,,,{_stamp(86400, '%Y-%m-%d %H:%M:%S')}",
            "BTC,Bitcoin,4,,,,,2099-01-01T00:00:00Z",  # a mistyped year
            f"ETH,Ethereum,5,,,,,{_stamp(3600, '%Y-%m-%dT%H:%M:%S+00:00')}"]
    path = tmp_path / "q.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    outcome = await load(pool, path)
    assert taken and (outcome.counts.read, outcome.counts.inserted, outcome.counts.rejected) == (5, 2, 3)
    rejects = (await snapshot(pool))["rejects"]
    assert [ref.rsplit(":", 1)[1] for ref, _, _ in rejects] == ["4", "5", "6"]
    assert all(reason.startswith("last_updated is in the future: ") for _, reason, _ in rejects)
    assert [(r["coin_id"], r["p"]) for r in await pool.fetch(
        "SELECT coin_id, price_usd::text AS p FROM quotes_latest")] == [("btc-bitcoin", "2")]
    assert await pool.fetchval("SELECT max(observed_at) FROM quotes_history") < datetime.now(timezone.utc) + \
        timedelta(seconds=600)


async def test_the_tolerance_is_the_sources_setting(pool, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(HEADER + f"BTC,Bitcoin,2,,,,,{_stamp(60)}\n" + f"ETH,Ethereum,2,,,,,{_stamp(7200)}\n")
    outcome = await load(pool, path, future_tolerance=0)
    assert (outcome.counts.inserted, outcome.counts.rejected) == (0, 2)
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"BTC,Bitcoin,2,,,,,{_stamp(60)}\n" + f"ETH,Ethereum,2,,,,,{_stamp(7200)}\n")
    outcome = await load(pool, path, future_tolerance=3 * 3600)
    assert (outcome.counts.inserted, outcome.counts.rejected) == (2, 0)
