"""The request path's consistency rules: an answer never depends on what was asked before (the cache answers only
what validation accepted), unknown parameters are refused by name with a hint, name filters are
case-insensitive, a cursor keeps its page's limit, an unencoded `+` in a time gets a hint."""
from __future__ import annotations

import pytest

from tests.api.helpers import coin_rows, load_csv

# three coins hourly for three hours, and three rows the CSV source refuses
BAD_ROWS = "".join(f"BAD{i},Bad {i},not-a-price,1,1,1,1,2026-01-01T00:00:00Z\n" for i in range(3))
ROWS = coin_rows(3) + coin_rows(3, hour=1) + coin_rows(3, hour=2) + BAD_ROWS

# every JSON route: a valid request, and invalid ones to the same route (with the parameter at fault)
INVALID = [
    ("/", "/?x=1", "x"),
    ("/health", "/health?verbose=1", "verbose"),
    ("/data?limit=2", "/data?limit=2&page=abc", "page"),
    ("/data?limit=2", "/data?limt=2", "limt"),
    ("/history?symbol=C0", "/history?symbol=C0&page=2", "page"),
    ("/history?symbol=C0", "/history?symbol=C0&page=abc", "page"),
    ("/history?symbol=C0", "/history?symbol=C0&limit=5000", "limit"),
    ("/history?symbol=C0", "/history?symbol=C0&from=2026-01-01T00:00:00 01:00", "from"),
    ("/candles?symbol=C0", "/candles?symbol=C0&page=2", "page"),
    ("/candles?symbol=C0", "/candles?symbol=C0&interval=7m", "interval"),
    ("/assets/C0", "/assets/C0?source=csv", "source"),
    ("/stats", "/stats?source=csv", "source"),
    ("/runs", "/runs?limit=0", "limit"),
    ("/runs", "/runs?sourc=csv", "sourc"),
    ("/runs/{run}", "/runs/{run}?limit=1", "limit"),
    ("/compare-runs?a={run}&b={run}", "/compare-runs?a={run}&b={run}&c=1", "c"),
    ("/rejects", "/rejects?page=2", "page"),
    ("/rejects", "/rejects?run_id=x", "run_id"),
    ("/gaps?symbol=C0", "/gaps?symbol=C0&interval=7m", "interval"),
    ("/gaps?symbol=C0", "/gaps?symbol=C0&sorce=csv", "sorce"),
    ("/identity/candidates", "/identity/candidates?limit=0", "limit"),
    ("/identity/candidates", "/identity/candidates?page=2", "page"),
]
# routes that answer something other than one JSON document: their own tests cover their parameters
NOT_JSON = {"/metrics", "/dashboard", "/dashboard/static", "/docs", "/docs/static", "/api/docs/swagger.json",
            "/stream", "/export/history"}


def test_every_json_route_is_in_the_list_above(app_routes):
    listed = {valid.split("?")[0].replace("{run}", "{id}").replace("/C0", "/{symbol}") for valid, _, _ in INVALID}
    assert app_routes - NOT_JSON == listed


@pytest.fixture
def app_routes(client) -> set[str]:
    return {route.resource.canonical for route in client.app.router.routes() if route.method == "GET"}


@pytest.fixture
async def loaded(client, pool, tmp_path):
    outcome = await load_csv(pool, tmp_path / "a.csv", ROWS)
    return client, outcome.run_id


async def error_of(client, path: str) -> tuple[int, dict]:
    response = await client.get(path)
    body = await response.json()
    return response.status, body["error"]


@pytest.mark.parametrize(("valid", "invalid", "parameter"), INVALID)
async def test_an_invalid_request_gets_the_same_4xx_whether_or_not_a_valid_one_was_cached(
        loaded, valid, invalid, parameter):
    client, run = loaded
    valid, invalid = valid.format(run=run), invalid.format(run=run)
    cold_status, cold = await error_of(client, invalid)
    assert 400 <= cold_status < 500 and parameter in cold["fields"] and parameter in cold["message"], cold
    for _ in range(2):  # answered, then answered again (from the cache on the cached routes)
        response = await client.get(valid)
        assert response.status == 200, (valid, await response.text())
    warm_status, warm = await error_of(client, invalid)
    assert (warm_status, warm) == (cold_status, cold)


@pytest.mark.parametrize(("path", "unknown", "hint"), [
    ("/data?limt=5", "limt", "limit"), ("/history?symbol=C0&sorce=csv", "sorce", "source"),
    ("/candles?symbol=C0&intervall=1h", "intervall", "interval"), ("/rejects?runid=1", "runid", "run_id"),
    ("/runs?statu=failed", "statu", "status"), ("/data?cb=1", "cb", None),
])
async def test_an_unknown_parameter_is_a_400_naming_it_with_the_closest_known_name(client, path, unknown, hint):
    status, error = await error_of(client, path)
    assert status == 400 and error["code"] == "invalid_parameters"
    assert unknown in error["fields"] and unknown in error["message"]
    if hint:
        assert f"did you mean {hint}?" in error["fields"][unknown][0] and hint in error["message"]


@pytest.mark.parametrize(("upper", "lower"), [
    ("/data?source=CSV", "/data?source=csv"), ("/data?symbol=c0", "/data?symbol=C0"),
    ("/history?symbol=c0&source=Csv", "/history?symbol=C0&source=csv"),
    ("/candles?symbol=c1&source=CSV", "/candles?symbol=C1&source=csv"),
    ("/rejects?source=CSV", "/rejects?source=csv"),
    ("/runs?source=CSV&status=SUCCESS", "/runs?source=csv&status=success"),
    ("/assets/c2", "/assets/C2"),
    ("/gaps?symbol=c0&source=CSV", "/gaps?symbol=C0&source=csv"),
])
async def test_name_filters_are_case_insensitive(loaded, upper, lower):
    client, _ = loaded
    first = await (await client.get(upper)).json()
    second = await (await client.get(lower)).json()
    first.pop("request_id"), second.pop("request_id"), first.pop("api_latency_ms"), second.pop("api_latency_ms")
    assert first == second
    assert first.get("data") or first.get("assets"), first


@pytest.mark.parametrize("path", ["/data?limit=1", "/history?symbol=C0&limit=1", "/candles?symbol=C0&limit=1",
                                  "/rejects?limit=1", "/runs?limit=1&source=csv"])
async def test_a_next_cursor_keeps_its_pages_limit(loaded, pool, tmp_path, path):
    client, _ = loaded
    if path.startswith("/runs"):  # a second run, so the run log has two pages of one
        await load_csv(pool, tmp_path / "b.csv", coin_rows(1, hour=5))
    first = await (await client.get(path)).json()
    limit = first["limit"]
    assert len(first["data"]) == limit and first["next_cursor"]
    route = path.split("?")[0]
    following = await (await client.get(f"{route}?cursor={first['next_cursor']}")).json()
    assert following["limit"] == limit and len(following["data"]) == limit, following
    assert following["data"] != first["data"]
    wider = await (await client.get(f"{route}?cursor={first['next_cursor']}&limit={limit + 1}")).json()
    assert wider["limit"] == limit + 1  # a limit sent with the cursor is the caller's choice


@pytest.mark.parametrize("route", ["/history?symbol=C0&", "/candles?symbol=C0&", "/history?symbol=C0&to=2026-01-02&"])
async def test_an_unencoded_plus_in_a_time_gets_a_hint_to_encode_it(client, route):
    status, error = await error_of(client, f"{route}from=2026-01-01T00:00:00+01:00")
    assert status == 400 and "from" in error["fields"] and "%2B" in error["message"], error
    encoded = await client.get(f"{route}from=2026-01-01T00:00:00%2B01:00")
    assert encoded.status == 200, await encoded.text()


@pytest.mark.parametrize("path", ["/history?symbol=C0&page=1", "/candles?symbol=C0&page=1", "/rejects?page=1"])
async def test_page_on_a_cursor_only_route_is_a_400_naming_it(client, path):
    status, error = await error_of(client, path)
    assert status == 400 and "page" in error["fields"] and "next_cursor" in error["fields"]["page"][0]


async def test_two_spellings_of_one_query_share_one_cached_answer_and_etag(loaded):
    client, _ = loaded
    first = await client.get("/history?symbol=c0&source=CSV&limit=2")
    second = await client.get("/history?limit=2&source=csv&symbol=C0")
    assert first.status == second.status == 200
    assert first.headers["ETag"] == second.headers["ETag"]
    again = await client.get("/history?symbol=C0&limit=2&source=csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304


async def test_a_remembered_validation_hands_each_request_its_own_values(loaded):
    client, _ = loaded
    from service.web import validation

    first = await (await client.get("/runs?limit=1&source=CSV")).json()
    assert any(url == "/runs?limit=1&source=CSV" for _, url in validation._remembered)
    # the second request takes the remembered values: the same answer, and a 400 stays a 400 every time
    second = await (await client.get("/runs?limit=1&source=CSV")).json()
    assert first["data"] == second["data"] and len(second["data"]) == 1
    for _ in range(2):
        status, error = await error_of(client, "/runs?limit=1&source=nope")
        assert status == 400 and "source" in error["fields"]


async def test_head_of_a_cached_route_has_the_get_length_and_no_body(loaded):
    client, _ = loaded
    plain = {"Accept-Encoding": "identity"}
    got = await client.get("/data?limit=3", headers=plain)
    head = await client.head("/data?limit=3", headers=plain)
    assert head.status == 200 and await head.read() == b""
    assert head.headers["Content-Type"].startswith("application/json")
    length = len(await got.read())
    assert int(got.headers["Content-Length"]) == length
    # the same body but its head: api_latency_ms may take another digit or two
    assert abs(int(head.headers["Content-Length"]) - length) < 8
