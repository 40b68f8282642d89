"""POST /etl/run: hidden without ADMIN_TOKEN, 401 without the right bearer token, 202 then 409 while running."""
from __future__ import annotations

import asyncio

from service.jsonutil import loads_exact
from service.web.cooldown import TriggerCooldown
from tests.conftest import replace
from tests.fakes.upstream import Fault, FakeCoinPaprika, make_paprika_tickers

TOKEN = "s3cret-token-of-16+"


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


async def _finished(client, run_id: int) -> None:
    for _ in range(100):
        if (await (await client.get(f"/runs/{run_id}")).json())["status"] != "running":
            return
        await asyncio.sleep(0.1)


async def test_a_second_trigger_inside_the_cooldown_is_429_with_retry_after(make_client, settings):
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("csv",),
                                       etl_trigger_cooldown_seconds=30))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = await client.post("/etl/run", headers=auth)  # the first after start-up: always accepted
    assert first.status == 202
    assert first.headers["Cache-Control"] == "no-store"
    await _finished(client, (await first.json())["runs"][0]["run_id"])
    again = await client.post("/etl/run", headers=auth)
    assert again.status == 429
    assert 29 <= int(again.headers["Retry-After"]) <= 30
    assert again.headers["Cache-Control"] == "no-store"
    body = await again.json()
    assert body["error"]["code"] == "rate_limited" and "30 s" in body["error"]["message"]
    runs = (await (await client.get("/runs")).json())["data"]
    assert len(runs) == 1  # the refused trigger started nothing
    # a wrong token inside the cooldown is still a 401, not a hint about the cooldown
    assert (await client.post("/etl/run", headers={"Authorization": "Bearer nope"})).status == 401


async def test_a_cooldown_of_zero_allows_back_to_back_runs(make_client, settings):
    client = await make_client(replace(settings, admin_token=TOKEN, etl_sources=("csv",),
                                       etl_trigger_cooldown_seconds=0))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(2):
        response = await client.post("/etl/run", headers=auth)
        assert response.status == 202
        await _finished(client, (await response.json())["runs"][0]["run_id"])


def test_the_cooldown_counts_from_the_last_accepted_trigger():
    now = [100.0]
    cooldown = TriggerCooldown(10, clock=lambda: now[0])
    assert cooldown.wait() == 0.0
    cooldown.started()
    now[0] += 4
    assert cooldown.wait() == 6.0
    now[0] += 6
    assert cooldown.wait() == 0.0
    cooldown.started()
    now[0] += 9.5
    assert cooldown.wait() == 0.5
    assert TriggerCooldown(0, clock=lambda: now[0]).wait() == 0.0
