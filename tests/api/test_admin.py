"""POST /etl/run: hidden without ADMIN_TOKEN, 401 without the right bearer token, 202 then 409 while running."""
from __future__ import annotations

import asyncio

from service.jsonutil import loads_exact
from tests.conftest import replace
from tests.fakes.upstream import Fault, FakeCoinPaprika, make_paprika_tickers

TOKEN = "s3cret-token"


async def test_no_token_configured_is_404(client):
    response = await client.post("/etl/run", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_missing_or_wrong_token_is_401(make_client, settings):
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("csv",)))
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}):
        response = await client.post("/etl/run", headers=headers)
        assert response.status == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert (await response.json())["error"]["code"] == "unauthorized"


async def test_starts_runs_202_then_409_while_running_then_202_again(make_client, settings, aiohttp_server):
    fake = FakeCoinPaprika(make_paprika_tickers(5))
    fake.faults.append(Fault(delay=1.5))
    upstream = await aiohttp_server(fake.make_app())
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("coinpaprika",),
                                       coinpaprika_base_url=fake.base_url(upstream),
                                       etl_trigger_cooldown_seconds=0))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = await client.post("/etl/run", headers=auth)
    assert first.status == 202, await first.text()
    body = loads_exact(await first.read())
    assert [r["source"] for r in body["runs"]] == ["coinpaprika"] and isinstance(body["runs"][0]["run_id"], int)
    busy = await client.post("/etl/run", headers=auth)
    assert busy.status == 409
    assert (await busy.json())["error"]["code"] == "conflict"
    run_id = body["runs"][0]["run_id"]
    for _ in range(100):
        run = await (await client.get(f"/runs/{run_id}")).json()
        if run["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "success" and run["rows_read"] == 5, run
    again = await client.post("/etl/run", headers=auth)
    assert again.status == 202
    second_id = (await again.json())["runs"][0]["run_id"]
    assert second_id > run_id
    for _ in range(100):
        if (await (await client.get(f"/runs/{second_id}")).json())["status"] != "running":
            break
        await asyncio.sleep(0.1)
