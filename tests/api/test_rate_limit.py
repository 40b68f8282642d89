"""The per-client rate limit in the app: /health and /metrics never limited, TRUSTED_PROXIES' X-Forwarded-For."""
from __future__ import annotations

import asyncio
from ipaddress import ip_network

from tests.conftest import replace


async def test_a_429_storm_never_touches_health_or_metrics(make_client, settings):
    client = await make_client(replace(settings, api_rate_limit=5))

    async def status(path: str) -> int:
        response = await client.get(path)
        await response.read()
        return response.status

    storm = await asyncio.gather(*(status("/data?limit=1") for _ in range(60)))
    assert storm.count(429) >= 40, storm
    during = await asyncio.gather(*(status(path) for _ in range(30) for path in ("/health", "/metrics")))
    assert set(during) == {200}, during
    # the limit still holds for everything else (a burst: the slow machine may have refilled a few tokens)
    after = await asyncio.gather(*(client.get("/runs") for _ in range(30)))
    limited = [response for response in after if response.status == 429]
    assert len(limited) >= 15, [response.status for response in after]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert (await limited[0].json())["error"]["code"] == "rate_limited"


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(make_client, settings):
    client = await make_client(replace(settings, api_rate_limit=2, trusted_proxies=(ip_network("127.0.0.0/8"),)))

    async def statuses(forwarded: str, count: int) -> list[int]:
        return [(await client.get("/runs", headers={"X-Forwarded-For": forwarded})).status for _ in range(count)]

    assert (await statuses("203.0.113.1", 6)).count(429) >= 1
    assert await statuses("203.0.113.2", 3) == [200, 200, 200]
    # a client cannot pick a fresh bucket by prepending addresses: the proxy appended the real one last
    assert (await statuses("198.51.100.9, 203.0.113.1", 1)) == [429]


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(make_client, settings):
    client = await make_client(replace(settings, api_rate_limit=2))
    seen = [(await client.get("/runs", headers={"X-Forwarded-For": f"203.0.113.{i}"})).status for i in range(8)]
    assert seen.count(429) >= 3, seen
