"""Walking next_cursor returns every record exactly once, also while an ETL run writes between pages."""
from __future__ import annotations

import asyncio

from tests.api.helpers import coin_rows, load_csv


async def walk(client, first_path, *, between=None):
    """Every record of every page; `between` runs after the first page, before the rest."""
    records, path = [], first_path
    while True:
        response = await client.get(path)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert len(body["data"]) <= body["limit"]
        records += body["data"]
        if body["next_cursor"] is None:
            return records
        path = f"{first_path}&cursor={body['next_cursor']}"
        if between is not None:
            await between()
            between = None


def keys(records, *extra):
    return [(r["source"], r["coin_id"], *(r[name] for name in extra)) for r in records]


async def test_data_cursor_walk_is_exact_for_every_sort(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(17) + "ZZ,Nulls,2,,,,,2026-01-01T00:00:00Z\n")
    for sort in ("-market_cap_usd", "market_cap_usd", "symbol", "-symbol", "rank", "-price_usd"):
        seen = keys(await walk(client, f"/data?limit=4&sort={sort}"))
        assert len(seen) == 18 and len(set(seen)) == 18, sort


async def test_data_walk_while_a_run_writes_sees_the_starting_set_once(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(20))
    start = set(keys((await (await client.get("/data?limit=500")).json())["data"]))

    async def run_writes():  # new coins and new market caps that reorder the existing ones
        await load_csv(pool, tmp_path / "b.csv", coin_rows(20, hour=5, price="9")
                       .replace(",100", ",900") + coin_rows(10, hour=5, prefix="N"))
        for _ in range(100):  # until the app has reloaded its snapshot, so the walk really spans the change
            if len((await (await client.get("/data?limit=500")).json())["data"]) == 30:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the new batch never became visible")

    seen = keys(await walk(client, "/data?limit=3", between=run_writes))
    assert len(seen) == len(set(seen)) and set(seen) == start
    after = (await (await client.get("/data?limit=500")).json())["data"]
    assert len(after) == 30


async def test_history_walk_returns_every_observation_once(client, pool, tmp_path):
    body = "".join(f"HX,History coin,{h + 1},,,,,2026-01-01T{h:02d}:00:00Z\n" for h in range(11))
    await load_csv(pool, tmp_path / "a.csv", body)
    await pool.execute("""
        WITH listing AS (
            INSERT INTO asset_sources (source, coin_id, asset_id)
            SELECT 'coingecko', 'hx', asset_id FROM asset_sources RETURNING id
        ), copied AS (
            INSERT INTO quotes_history (
                listing_id, source, coin_id, observed_at, asset_id, symbol, name, price_usd, run_id)
            SELECT l.id, 'coingecko', 'hx', observed_at, asset_id, symbol, name, price_usd, run_id
            FROM quotes_history, listing AS l
            RETURNING listing_id, symbol
        )
        INSERT INTO history_symbols (symbol, listing_id) SELECT DISTINCT symbol, listing_id FROM copied""")
    seen = keys(await walk(client, "/history?symbol=hx&limit=4"), "observed_at")
    assert len(seen) == 22 and len(set(seen)) == 22
    assert seen == sorted(seen, key=lambda k: (k[2], k[0], k[1]))
    only_csv = await walk(client, "/history?symbol=HX&limit=5&source=csv&from=2026-01-01T03:00:00Z")
    assert [r["price_usd"] for r in only_csv] == list(range(4, 12))


async def test_history_walk_while_a_run_writes_misses_and_repeats_nothing(client, pool, tmp_path):
    body = "".join(f"HW,Walk coin,{h + 1},,,,,2026-01-01T{h:02d}:00:00Z\n" for h in range(10))
    await load_csv(pool, tmp_path / "a.csv", body)
    start = set(keys((await (await client.get("/history?symbol=HW&limit=1000")).json())["data"], "observed_at"))

    async def run_writes():  # observations before and after the cursor's position
        await load_csv(pool, tmp_path / "b.csv", "HW,Walk coin,50,,,,,2026-01-01T00:30:00Z\n"
                       "HW,Walk coin,60,,,,,2026-01-01T15:00:00Z\n")

    seen = keys(await walk(client, "/history?symbol=HW&limit=3", between=run_writes), "observed_at")
    assert len(seen) == len(set(seen))
    assert start <= set(seen)
    assert ("csv", start.pop()[1], "2026-01-01T15:00:00Z") in set(seen)
