"""GET /rejects: every refused record with its run, source, reason, location and raw text; filters and cursor
paging; /runs/{id} counts a run's rejects by reason."""
from __future__ import annotations

from tests.api.helpers import HEADER, coin_rows
from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource

BAD_ROWS = ("X1,Bad one,\"1,5\",1,1,1,1,2026-01-01T00:00:00Z\n"
            "X2,Bad two,abc,1,1,1,1,2026-01-01T00:00:00Z\n"
            "X3,Bad three,-2,1,1,1,1,2026-01-01T00:00:00Z\n"
            "X4,Short row\n")


async def load(pool, path, body):
    path.write_text(HEADER + body)
    outcome = await run_source(pool, CsvSource(path))
    assert outcome.status == "success", outcome.error
    return outcome


async def get(client, path, status=200):
    response = await client.get(path)
    assert response.status == status, await response.text()
    return await response.json()


async def test_rejects_say_where_why_and_what_newest_first(client, pool, tmp_path):
    path = tmp_path / "bad.csv"
    outcome = await load(pool, path, coin_rows(2) + BAD_ROWS)
    body = await get(client, "/rejects")
    assert body["request_id"] and body["api_latency_ms"] >= 0 and body["limit"] == 50
    assert body["next_cursor"] is None
    items = body["data"]
    assert [item["location"] for item in items] == [f"{path.resolve()}:{line}" for line in (7, 6, 5, 4)]
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)
    assert all(item["run_id"] == outcome.run_id and item["source"] == "csv" for item in items)
    by_line = {item["location"].rsplit(":", 1)[1]: item for item in items}
    assert by_line["4"]["reason"] == "price_usd is not a number: '1,5'"
    assert by_line["4"]["raw"].startswith("X1,Bad one,") and isinstance(by_line["4"]["raw"], str)
    assert "negative" in by_line["6"]["reason"] and "short row" in by_line["7"]["reason"]
    assert set(items[0]) >= {"id", "run_id", "source", "reason", "location", "raw"}


async def test_rejects_filter_by_source_and_run_and_page_by_cursor(client, pool, tmp_path):
    first = await load(pool, tmp_path / "a.csv", BAD_ROWS)
    second = await load(pool, tmp_path / "b.csv", BAD_ROWS + BAD_ROWS.replace("X", "Y"))
    assert len((await get(client, f"/rejects?run_id={first.run_id}"))["data"]) == 4
    assert (await get(client, "/rejects?source=coingecko"))["data"] == []
    seen, url = [], f"/rejects?run_id={second.run_id}&limit=3"
    while url:
        page = await get(client, url)
        assert len(page["data"]) <= 3
        seen += page["data"]
        url = f"/rejects?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else None  # no filters
    assert len(seen) == 8 and len({item["id"] for item in seen}) == 8
    assert all(item["run_id"] == second.run_id for item in seen)
    page = await get(client, f"/rejects?run_id={second.run_id}&limit=3")
    clash = await get(client, f"/rejects?run_id={first.run_id}&cursor={page['next_cursor']}", 400)
    assert "cursor" in clash["error"]["fields"]


async def test_rejects_refuse_bad_parameters_naming_them(client):
    for path, name in (("/rejects?source=binance", "source"), ("/rejects?run_id=0", "run_id"),
                       ("/rejects?limit=501", "limit"), ("/rejects?cursor=%%%", "cursor"),
                       ("/rejects?page=2", "page"), ("/rejects?source=csv&source=coingecko", "source")):
        body = await get(client, path, 400)
        assert name in body["error"]["fields"], (path, body)


async def test_run_counts_its_rejects_by_reason(client, pool, tmp_path):
    outcome = await load(pool, tmp_path / "a.csv", BAD_ROWS + BAD_ROWS.replace("X", "Y"))
    body = await get(client, f"/runs/{outcome.run_id}")
    assert body["rows_rejected"] == 8
    reasons = body["rejects_by_reason"]
    assert sum(item["count"] for item in reasons) == 8
    assert {"reason": "price_usd is not a number: 'abc'", "count": 2} in reasons
    assert [item["count"] for item in reasons] == sorted((item["count"] for item in reasons), reverse=True)
    clean = await load(pool, tmp_path / "b.csv", coin_rows(1))
    assert (await get(client, f"/runs/{clean.run_id}"))["rejects_by_reason"] == []
