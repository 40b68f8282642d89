"""Secrets: API keys, ADMIN_TOKEN and the DSN password never show in a log line, an error body or /metrics."""
from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika, make_gecko_coins
from tests.faults.support import (ServiceProcess, free_port, running_service, service_env, tcp_postgres,
                                  wait_for)

pytestmark = pytest.mark.slow
PG_PASSWORD = "pg-Sup3rSecret-4242"
PAPRIKA_KEY = "paprika-key-SECRET-1111"
GECKO_KEY = "gecko-key-SECRET-2222"
ADMIN_TOKEN = "admin-token-SECRET-3333"
WRONG_PASSWORD = "wrong-pw-SECRET-5555"
SECRETS = (PG_PASSWORD, PAPRIKA_KEY, GECKO_KEY, ADMIN_TOKEN, WRONG_PASSWORD)
ROUTES = ("/", "/health", "/data", "/data?sort=nope", "/data?cursor=garbage", "/history?symbol=BTC",
          "/history", "/runs", "/runs/999999", "/stats", "/metrics", "/api/docs/swagger.json", "/nope")


async def test_no_secret_reaches_logs_error_bodies_or_metrics(aiohttp_server, tmp_path):
    paprika = FakeCoinPaprika(api_key="the-key-paprika-expects")  # ours is refused: 403 on every run
    gecko = FakeCoinGecko(make_gecko_coins(30), api_key=GECKO_KEY)
    paprika_url = paprika.base_url(await aiohttp_server(paprika.make_app()))
    gecko_url = gecko.base_url(await aiohttp_server(gecko.make_app()))
    seen: list[str] = []
    with tcp_postgres(PG_PASSWORD) as pg:
        admin = await asyncpg.connect(pg.url())
        try:
            await admin.execute(f"CREATE ROLE svc LOGIN PASSWORD '{PG_PASSWORD}'")
            await admin.execute("CREATE DATABASE svc_db OWNER svc")
        finally:
            await admin.close()
        dsn = pg.url("svc_db", user="svc")
        env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_TRIGGER_COOLDOWN_SECONDS=0,
                          ETL_SOURCES="csv,coinpaprika,coingecko",
                          COINPAPRIKA_BASE_URL=paprika_url, COINGECKO_BASE_URL=gecko_url,
                          COINPAPRIKA_API_KEY=PAPRIKA_KEY, COINGECKO_API_KEY=GECKO_KEY, ADMIN_TOKEN=ADMIN_TOKEN,
                          HTTP_MAX_RETRIES=0, LOG_LEVEL="DEBUG", COINGECKO_REQUESTS_PER_MINUTE=60000)
        async with running_service(env, log_dir=tmp_path) as service, aiohttp.ClientSession() as session:
            async def read(method: str, path: str, **kwargs) -> int:
                async with session.request(method, f"{service.base_url}{path}", **kwargs) as response:
                    seen.append(f"{method} {path} {response.status} {dict(response.headers)} "
                                f"{await response.text()}")
                    return response.status

            async def runs_done():
                await read("GET", "/runs")
                return "running" not in seen[-1] and '"coingecko"' in seen[-1]

            await wait_for(runs_done, 30, 0.5, "the start-up runs")
            assert await read("POST", "/etl/run", headers={"Authorization": "Bearer guessed"}) == 401
            assert await read("POST", "/etl/run", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) in (202, 409)
            await wait_for(runs_done, 30, 0.5, "the triggered runs")
            for path in ROUTES:
                await read("GET", path)
            pg.stop()
            for path in ("/health", "/data", "/runs", "/stats", "/metrics"):
                await read("GET", path)
            assert await read("POST", "/etl/run", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) == 503
            pg.start()
            await wait_for(lambda: _healthy(session, service.base_url), 15, 0.3, "the database back")
            await read("GET", "/metrics")
            assert "coinpaprika" in " ".join(seen) and "403" in " ".join(seen), "the failing path never ran"
        seen.append(service.log_text())

        for variables, args in (({"DATABASE_URL": pg.url("svc_db", user="svc", password=WRONG_PASSWORD)}, ()),
                                ({"DATABASE_URL": pg.url("svc_db", user="svc", password=WRONG_PASSWORD)},
                                 ("migrate",)),
                                ({"PORT": "http"}, ())):
            failing = ServiceProcess({**env, **variables}, *args, log_dir=tmp_path)
            await failing.start()
            assert await failing.wait(60) != 0
            seen.append(failing.log_text())

    everything = "\n".join(seen)
    assert '"level": "ERROR"' in everything  # the failure paths were logged
    for secret in SECRETS:
        assert secret not in everything, f"{secret} leaked: ...{_around(everything, secret)}..."


async def _healthy(session, base_url) -> bool:
    async with session.get(f"{base_url}/health") as response:
        return response.status == 200


def _around(text: str, secret: str) -> str:
    at = text.index(secret)
    return text[max(0, at - 200):at + 50]
