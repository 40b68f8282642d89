"""Each route's success shape over real data loaded by the real pipeline."""
from __future__ import annotations

from decimal import Decimal

from service.etl.pipeline import run_source
from service.etl.sources.csv import CsvSource
from service.jsonutil import loads_exact
from tests.api.helpers import coin_rows, load_csv

BTC = ("BTC,Bitcoin,0.000012345678901234,5,5,1,1,2026-01-01T00:00:00Z\n"
       "BTC,Bitcoin,11,5,5,1,1,2026-01-01T02:00:00Z\n"
       "btc,Bitcoin,10.5,5,5,1,1,2026-01-01T01:00:00\n")


async def get_json(client, path, status=200):
    response = await client.get(path)
    assert response.status == status, await response.text()
    return loads_exact(await response.read())


async def test_history_is_one_assets_observations_in_time_order_with_exact_prices(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3) + BTC)
    body = await get_json(client, "/history?symbol=btc")
    assert set(body) >= {"request_id", "api_latency_ms", "data", "limit", "next_cursor"}
    assert body["limit"] == 100 and body["next_cursor"] is None
    assert [r["observed_at"] for r in body["data"]] == [
        "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]
    assert [r["price_usd"] for r in body["data"]] == [Decimal("0.000012345678901234"), Decimal("10.5"), 11]
    assert {r["symbol"] for r in body["data"]} == {"BTC"}
    windowed = await get_json(client, "/history?symbol=BTC&from=2026-01-01T00:30:00Z&to=2026-01-01T01:00:00")
    assert [r["price_usd"] for r in windowed["data"]] == [Decimal("10.5")]
    assert (await get_json(client, "/history?symbol=BTC&source=coingecko"))["data"] == []
    assert (await get_json(client, "/history?symbol=NOPE"))["data"] == []


async def test_stats_totals_and_per_source(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3) + BTC + "X,Bad,-1,,,,,2026-01-01T00:00:00Z\n")
    await load_csv(pool, tmp_path / "b.csv", coin_rows(2, hour=5))
    body = await get_json(client, "/stats")
    assert body["total_runs"] == 2
    assert body["total_records_processed"] == 7 + 2
    assert body["last_success"] is not None and body["last_failure"] is None
    assert isinstance(body["api_latency_ms"], (int, float, Decimal)) and body["request_id"]
    csv = next(s for s in body["sources"] if s["source"] == "csv")
    assert (csv["runs"], csv["successes"], csv["failures"]) == (2, 2, 0)
    assert csv["last_run"]["rows_read"] == 2 and csv["last_run"]["duration_seconds"] >= 0
    assert csv["last_success_at"] == body["last_success"]
    assert {s["source"] for s in body["sources"]} == {"coinpaprika", "coingecko", "csv"}
    # raw CSV is kept per block read: one block per file here
    assert body["records"] == {"assets": 4, "history_rows": 8, "latest_rows": 4, "rejects": 1, "raw_records": 2,
                               "estimated": False}


async def test_runs_newest_first_with_filters_cursor_and_page(client, pool, tmp_path):
    for i in range(3):
        await load_csv(pool, tmp_path / f"{i}.csv", coin_rows(i + 1, hour=i))
    await pool.execute("INSERT INTO etl_runs (source, status, error, finished_at) "
                       "VALUES ('coingecko', 'failed', 'upstream 500', now())")
    body = await get_json(client, "/runs")
    assert [r["id"] for r in body["data"]] == [4, 3, 2, 1]
    first = body["data"][1]
    assert {"id", "source", "status", "started_at", "finished_at", "error", "rows_read", "rows_inserted",
            "rows_rejected", "drift", "duration_seconds"} <= set(first)
    assert body["data"][0]["error"] == "upstream 500"
    failed = await get_json(client, "/runs?status=failed")
    assert [r["id"] for r in failed["data"]] == [4]
    assert [r["id"] for r in (await get_json(client, "/runs?source=csv"))["data"]] == [3, 2, 1]
    seen, cursor = [], ""
    while True:
        page = await get_json(client, f"/runs?limit=1{cursor}")
        seen += [r["id"] for r in page["data"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [4, 3, 2, 1]
    paged = await get_json(client, "/runs?limit=3&page=2")
    assert paged["total_records"] == 4 and paged["page"] == 2 and [r["id"] for r in paged["data"]] == [1]
    one = await get_json(client, "/runs/2")
    assert one["id"] == 2 and one["rows_read"] == 2 and one["request_id"]
    missing = await get_json(client, "/runs/99", 404)
    assert missing["error"]["code"] == "not_found" and missing["request_id"]
    bad = await get_json(client, "/runs/abc", 400)
    assert "id" in bad["error"]["fields"]


async def test_assets_side_by_side_with_spread_and_namesakes_apart(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", "BTC,Bitcoin,100,5,5,1,1,2026-01-01T00:00:00Z\n"
                   "BTC,Bitcoin Other,1,5,5,1,1,2026-01-01T00:00:00Z\n")
    await pool.execute("""
        INSERT INTO quotes_latest (source, coin_id, observed_at, asset_id, symbol, name, price_usd, run_id)
        SELECT 'coingecko', 'bitcoin', observed_at, asset_id, symbol, name, 101.5, run_id
        FROM quotes_latest WHERE name = 'Bitcoin'""")
    body = await get_json(client, "/assets/btc")
    assert body["symbol"] == "BTC" and len(body["assets"]) == 2
    assert body["data"] == {"symbol": "BTC", "assets": body["assets"]}  # the contract reads data.assets
    main = next(a for a in body["assets"] if a["name"] == "Bitcoin")
    expected = [("coingecko", Decimal("101.5")), ("csv", 100)]
    assert [(s["source"], s["price_usd"]) for s in main["sources"]] == expected
    assert main["spread_pct"] == Decimal("1.500000")
    assert main["min_price_usd"] == 100 and main["max_price_usd"] == Decimal("101.5")
    other = next(a for a in body["assets"] if a["name"] == "Bitcoin Other")
    assert other["spread_pct"] == 0 and len(other["sources"]) == 1
    assert (await get_json(client, "/assets/NOPE", 404))["error"]["code"] == "not_found"


LATER_FIELDS = ("percent_change_1h", "percent_change_7d", "ath_price_usd", "ath_at", "fully_diluted_valuation_usd",
                "high_24h_usd", "low_24h_usd")


async def test_assets_show_the_later_quote_fields_as_data_does_with_their_digits(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", "BTC,Bitcoin,100,5,5,1,1,2026-01-01T00:00:00Z\n")
    await pool.execute("""
        INSERT INTO quotes_latest (source, coin_id, observed_at, asset_id, symbol, name, price_usd, run_id,
                                   percent_change_1h, percent_change_7d, ath_price_usd, ath_at,
                                   fully_diluted_valuation_usd, high_24h_usd, low_24h_usd)
        SELECT 'coingecko', 'bitcoin', observed_at, asset_id, symbol, name, 101.5, run_id,
               -0.0123456789, 12.50, 69045.123456789012345, '2021-11-10T14:24:11.849Z',
               1767228651784.000, 1.10000, 0.00000001234
        FROM quotes_latest""")
    response = await client.get("/assets/BTC")
    raw = await response.read()
    for digits in (b'"percent_change_1h":-0.0123456789', b'"percent_change_7d":12.50',
                   b'"ath_price_usd":69045.123456789012345', b'"ath_at":"2021-11-10T14:24:11.849000Z"',
                   b'"fully_diluted_valuation_usd":1767228651784.000', b'"high_24h_usd":1.10000',
                   b'"low_24h_usd":0.00000001234'):
        assert digits in raw, digits
    sources = {s["source"]: s for s in loads_exact(raw)["assets"][0]["sources"]}
    assert {name: sources["csv"][name] for name in LATER_FIELDS} == dict.fromkeys(LATER_FIELDS)
    data = {r["source"]: r for r in (await get_json(client, "/data?symbol=BTC"))["data"]}
    for source in ("coingecko", "csv"):
        assert {name: sources[source][name] for name in LATER_FIELDS} == {
            name: data[source][name] for name in LATER_FIELDS}, source


async def insert_run(pool, source, status, rows, seconds, nbytes=1000):
    return await pool.fetchval(
        "INSERT INTO etl_runs (source, status, rows_read, bytes_read, started_at, finished_at) "
        "VALUES ($1, $2, $3, $4, now() - make_interval(secs => $5), now()) RETURNING id", source, status, rows,
        nbytes, float(seconds))


async def test_compare_runs_flags_anomalies(client, pool):
    a = await insert_run(pool, "coinpaprika", "success", 100, 10)
    steady = await insert_run(pool, "coinpaprika", "success", 90, 12)
    shrunk_slow = await insert_run(pool, "coinpaprika", "success", 40, 25)
    failed = await insert_run(pool, "coinpaprika", "failed", 0, 1)
    empty = await insert_run(pool, "coinpaprika", "success", 0, 1)  # read a payload with no coins in it
    other = await insert_run(pool, "csv", "success", 100, 10)
    body = await get_json(client, f"/compare-runs?a={a}&b={steady}")
    assert body["flags"] == [] and body["source"] == "coinpaprika" and body["rows_change_pct"] == -10.0
    assert body["a"]["id"] == a and body["b"]["rows_read"] == 90 and body["b"]["input_unchanged"] is False
    assert "request_id" in body and "api_latency_ms" in body
    body = await get_json(client, f"/compare-runs?a={a}&b={shrunk_slow}")
    assert body["flags"] == ["record_count_changed_by_more_than_half", "duration_more_than_doubled"]
    body = await get_json(client, f"/compare-runs?a={a}&b={failed}")
    assert "success_turned_into_failure" in body["flags"] and body["anomalies"]["success_with_zero_rows"] is False
    body = await get_json(client, f"/compare-runs?a={a}&b={empty}")
    assert body["anomalies"]["success_with_zero_rows"] is True
    assert body["anomalies"]["record_count_changed_by_more_than_half"] is True
    assert "b" in (await get_json(client, f"/compare-runs?a={a}&b={other}", 400))["error"]["fields"]
    assert (await get_json(client, f"/compare-runs?a={a}&b=999", 404))["error"]["code"] == "not_found"
    assert "a" in (await get_json(client, f"/compare-runs?b={a}", 400))["error"]["fields"]


async def test_compare_runs_compares_like_with_like(client, pool, tmp_path):
    """A re-run over an unchanged CSV file reads nothing: not an anomaly against the first load."""
    path = tmp_path / "a.csv"
    first = await load_csv(pool, path, coin_rows(40))
    rerun = await run_source(pool, CsvSource(path))
    assert rerun.status == "success"
    body = await get_json(client, f"/compare-runs?a={first.run_id}&b={rerun.run_id}")
    assert body["b"]["rows_read"] == 0 and body["b"]["input_unchanged"] is True
    assert body["a"]["input_unchanged"] is False
    assert body["flags"] == [], body
    # a real drop is still flagged: a slow, failed run after the first load
    slow_failure = await insert_run(pool, "csv", "failed", 0, 3600)
    body = await get_json(client, f"/compare-runs?a={first.run_id}&b={slow_failure}")
    assert "success_turned_into_failure" in body["flags"] and "record_count_changed_by_more_than_half" in body["flags"]


async def test_metrics_is_prometheus_text(client):
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = await response.text()
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "# TYPE etl_runs_total counter" in text


async def test_openapi_describes_every_route(client):
    spec = await get_json(client, "/api/docs/swagger.json")
    for path in ("/", "/health", "/data", "/history", "/stats", "/runs", "/runs/{id}", "/etl/run", "/metrics",
                 "/assets/{symbol}", "/compare-runs", "/rejects"):
        for method, operation in spec["paths"][path].items():
            assert operation["summary"] and operation["responses"], (path, method)
    history = {p["name"]: p for p in spec["paths"]["/history"]["get"]["parameters"]}
    assert "required unless a cursor" in history["symbol"]["description"]
    assert history["limit"]["schema"]["maximum"] == 1000
    assert history["from"]["schema"]["format"] == "date-time"
    docs = await client.get("/docs")
    assert docs.status == 200 and "swagger" in (await docs.text()).lower()
