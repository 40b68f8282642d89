"""Headers on every answer (no versions, nosniff), page policies, no-store on the admin route, CORS for reads."""
from __future__ import annotations

import pytest

from tests.conftest import replace

TOKEN = "a-long-enough-admin-token"
EVERY_KIND = ("/", "/health", "/data", "/data?limit=0", "/history?symbol=BTC", "/stats", "/runs", "/nope",
              "/metrics", "/api/docs/swagger.json", "/docs")


async def test_every_answer_hides_versions_and_says_nosniff(client):
    for path in EVERY_KIND:
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        server = response.headers.get("Server", "")
        assert "aiohttp" not in server.lower() and "python" not in server.lower(), (path, server)
    refused = await client.post("/health", data=b"x")
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


async def test_docs_page_cannot_be_framed_and_loads_only_from_itself(client):
    response = await client.get("/docs")
    assert response.status == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    # the data routes are JSON, not pages: no page policy there
    assert "Content-Security-Policy" not in (await client.get("/data")).headers


async def test_admin_answers_are_never_stored_and_get_no_cors(make_client, settings):
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("csv",)))
    origin = {"Origin": "https://elsewhere.example"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}"}):
        response = await client.post("/etl/run", headers={**origin, **headers})
        assert response.status in (202, 401), response.status
        assert response.headers["Cache-Control"] == "no-store"
        assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await client.options("/etl/run", headers={
        **origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers


async def test_public_reads_allow_any_origin_by_default_without_credentials(client):
    response = await client.get("/data", headers={"Origin": "https://dashboards.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in (await client.get("/data")).headers  # not a CORS request
    error = await client.get("/data?limit=0", headers={"Origin": "https://dashboards.example"})
    assert error.status == 400 and error.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/data", "/history", "/stats", "/health"])
async def test_preflight_for_a_read_is_answered(client, path):
    response = await client.options(path, headers={"Origin": "https://dashboards.example",
                                                   "Access-Control-Request-Method": "GET",
                                                   "Access-Control-Request-Headers": "if-none-match"})
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD"}
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


async def test_preflight_for_a_write_is_not_allowed(client):
    response = await client.options("/data", headers={"Origin": "https://x.example",
                                                      "Access-Control-Request-Method": "DELETE"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


async def test_listed_origins_only_are_echoed(make_client, settings):
    client = await make_client(replace(settings, cors_origins=("https://good.example", "https://also.example")))
    good = await client.get("/data", headers={"Origin": "https://also.example"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://also.example"
    assert "Origin" in good.headers.getall("Vary", [])
    bad = await client.get("/data", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in bad.headers
    preflight = await client.options("/data", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


async def test_docs_is_the_vendored_swagger_ui_and_ignores_its_query(client):
    plain = await (await client.get("/docs")).text()
    hostile = await client.get("/docs?url=http://attacker.example/evil.json&configUrl=http://attacker.example/c")
    assert hostile.status == 200 and await hostile.text() == plain
    assert "/docs/static/swagger-ui-bundle.js" in plain and "<script>" not in plain  # no inline script
    init = await (await client.get("/docs/static/docs-init.js")).text()
    assert "queryConfigEnabled: false" in init and 'url: "/api/docs/swagger.json"' in init
    bundle = await client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status == 200 and bundle.headers["X-Content-Type-Options"] == "nosniff"
    version = (await (await client.get("/docs/static/package.json")).json())["version"]
    assert tuple(map(int, version.split("."))) >= (5, 35, 0)
    assert (await client.get("/docs/static/LICENSE")).status == 200
