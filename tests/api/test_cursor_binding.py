"""A cursor carries the filters and order it was issued for: a client may send it alone, and sending a
different filter with it is a 400 rather than a walk that skips or repeats records."""
from __future__ import annotations

from tests.api.helpers import coin_rows, load_csv


async def walk_with_cursor_alone(client, route, first_query):
    response = await client.get(f"{route}?{first_query}")
    body = await response.json()
    records = list(body["data"])
    while body["next_cursor"] is not None:
        response = await client.get(f"{route}?cursor={body['next_cursor']}")
        assert response.status == 200, await response.text()
        body = await response.json()
        records += body["data"]
    return records, body


async def test_data_cursor_alone_keeps_filters_and_sort(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(12) + coin_rows(5, prefix="D", price="7"))
    records, last = await walk_with_cursor_alone(client, "/data", "source=csv&min_price=5&sort=symbol&limit=2")
    assert [r["symbol"] for r in records] == ["D0", "D1", "D2", "D3", "D4"]
    assert last["sort"] == "symbol"


async def test_data_cursor_alone_keeps_the_symbol(client, pool, tmp_path):
    body = "".join(f"BTC,Bitcoin {i},{i + 1},,,,,2026-01-01T00:00:00Z\n" for i in range(5))
    await load_csv(pool, tmp_path / "a.csv", body + coin_rows(10))
    records, _ = await walk_with_cursor_alone(client, "/data", "symbol=btc&limit=1")
    assert len(records) == 5 and {r["symbol"] for r in records} == {"BTC"}


async def test_data_cursor_with_another_filter_is_a_400_naming_cursor(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(6))
    first = await (await client.get("/data?limit=2&sort=symbol")).json()
    for query in ("sort=-symbol", "source=coingecko", "symbol=C1", "min_price=3"):
        response = await client.get(f"/data?cursor={first['next_cursor']}&{query}")
        assert response.status == 400, query
        assert "cursor" in (await response.json())["error"]["fields"]
    same = await client.get(f"/data?cursor={first['next_cursor']}&sort=symbol&limit=3")
    assert same.status == 200 and len((await same.json())["data"]) == 3


async def test_history_cursor_alone_stays_in_the_window(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", "".join(coin_rows(1, hour=h) for h in range(10)))
    records, _ = await walk_with_cursor_alone(
        client, "/history", "symbol=c0&from=2026-01-01T02:00:00Z&to=2026-01-01T06:00:00Z&limit=2")
    assert [r["observed_at"][11:13] for r in records] == ["02", "03", "04", "05", "06"]
    first = await (await client.get("/history?symbol=C0&limit=2")).json()
    response = await client.get(f"/history?cursor={first['next_cursor']}&symbol=ETH")
    assert response.status == 400


async def test_history_without_symbol_or_cursor_names_symbol(client):
    response = await client.get("/history")
    assert response.status == 400
    assert "symbol" in (await response.json())["error"]["fields"]


async def test_history_accepts_a_bare_date_as_its_midnight_utc(client, pool, tmp_path):
    next_day = coin_rows(1, hour=5).replace("2026-01-01", "2026-01-02")
    await load_csv(pool, tmp_path / "a.csv", coin_rows(1, hour=0) + next_day)
    body = await (await client.get("/history?symbol=C0&from=2026-01-02")).json()
    assert [r["observed_at"] for r in body["data"]] == ["2026-01-02T05:00:00Z"]
    bad = await client.get("/history?symbol=C0&from=2026-13-45")
    assert bad.status == 400 and "from" in (await bad.json())["error"]["fields"]
