"""Upstream abuse at service level: a running `python -m service` fed timeouts, resets, junk and huge payloads."""
from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from tests.fakes.upstream import FakeCoinGecko, FakeCoinPaprika, Fault, dumps, make_gecko_coins, make_paprika_tickers
from tests.faults.support import free_port, running_service, service_env, wait_for

pytestmark = pytest.mark.slow
TOKEN = "abuse-admin-token"
HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
# (name, fault for both upstreams, words the recorded error must hold)
BROKEN = [
    ("slower than the timeout", lambda: Fault(delay=4.5, times=100), "timeout"),
    ("connection reset mid-body", lambda: Fault(reset=True, times=100), "connection"),
    ("200 with an HTML page", lambda: Fault(body=HTML, headers={"Content-Type": "text/html"}, times=100), "HTML"),
    ("200 with a JSON object", lambda: Fault(body=b'{"data": [], "status": "ok"}', times=100), "object"),
    ("200 with broken JSON", lambda: Fault(body=b'[{"id": "btc-bitcoin", "na', times=100), "JSON"),
]


def hostile_tickers() -> bytes:
    """Six tickers: five carry numbers no market has (1e400, NaN, -Infinity, words, a huge string); one is fine."""
    items = make_paprika_tickers(6, seed=9)
    items[0]["quotes"]["USD"]["price"] = "__BIG__"
    items[1]["quotes"]["USD"]["price"] = "__NAN__"
    items[2]["quotes"]["USD"]["price"] = "twelve dollars"
    items[3]["quotes"]["USD"]["volume_24h"] = "__NEGINF__"
    items[4]["quotes"]["USD"]["price"] = "9" * 5000
    body = dumps(items)
    for marker, literal in ((b'"__BIG__"', b"1e400"), (b'"__NAN__"', b"NaN"), (b'"__NEGINF__"', b"-Infinity")):
        body = body.replace(marker, literal)
    return body


class Service:
    def __init__(self, process, session, dsn):
        self.process, self.session, self.dsn = process, session, dsn

    async def run(self) -> list[asyncpg.Record]:
        """POST /etl/run, then wait for the runs it opened to finish; returns them."""
        async with self.session.post(f"{self.process.base_url}/etl/run",
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            body = await response.json()
            assert response.status == 202, body
        ids = [r["run_id"] for r in body["runs"]]
        assert None not in ids, body

        async def finished():
            rows = await self.fetch("SELECT * FROM etl_runs WHERE id = ANY($1::bigint[]) ORDER BY source", ids)
            return rows if all(r["status"] != "running" for r in rows) else None

        return await wait_for(finished, 120, 0.2, "the triggered runs to finish")

    async def fetch(self, sql: str, *args):
        connection = await asyncpg.connect(self.dsn)
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    async def counts(self) -> tuple[int, int, int]:
        row = (await self.fetch("SELECT (SELECT count(*) FROM quotes_history) AS h, (SELECT count(*) FROM "
                                "quotes_latest) AS l, (SELECT count(*) FROM raw_api_records) AS r"))[0]
        return row["h"], row["l"], row["r"]


async def test_abusive_upstreams_are_recorded_never_crash_and_load_nothing_invalid(
        empty_database, aiohttp_server, tmp_path):
    paprika, gecko = FakeCoinPaprika(make_paprika_tickers(20)), FakeCoinGecko(make_gecko_coins(20))
    paprika_server, gecko_server = await aiohttp_server(paprika.make_app()), await aiohttp_server(gecko.make_app())
    dsn = await empty_database()
    env = service_env(DATABASE_URL=dsn, PORT=free_port(), ETL_SOURCES="coinpaprika,coingecko", ETL_ON_STARTUP="false",
                      ADMIN_TOKEN=TOKEN, COINPAPRIKA_BASE_URL=paprika.base_url(paprika_server),
                      COINGECKO_BASE_URL=gecko.base_url(gecko_server), HTTP_TOTAL_TIMEOUT_SECONDS=3,
                      HTTP_MAX_RETRIES=1, COINGECKO_REQUESTS_PER_MINUTE=60000, COINPAPRIKA_REQUESTS_PER_SECOND=1000,
                      ETL_TRIGGER_COOLDOWN_SECONDS=0)  # one triggered run per abuse case
    async with running_service(env, log_dir=tmp_path) as process, aiohttp.ClientSession() as session:
        service = Service(process, session, dsn)
        for name, fault, words in BROKEN:
            paprika.faults, gecko.faults = [fault()], [fault()]
            runs = await service.run()
            assert [r["status"] for r in runs] == ["failed", "failed"], (name, runs)
            for run in runs:
                assert words.lower() in run["error"].lower(), (name, run["error"])
            assert await service.counts() == (0, 0, 0), f"{name}: something was loaded"
            assert process.alive, process.log_tail()

        paprika.faults, gecko.faults = [Fault(body=hostile_tickers())], []
        gecko.coins = make_gecko_coins(20)
        gecko.coins[3]["current_price"] = "NaN"
        gecko.coins[4]["market_cap_rank"] = "first"
        runs = {r["source"]: r for r in await service.run()}
        assert runs["coinpaprika"]["status"] == "success", runs
        assert (runs["coinpaprika"]["rows_inserted"], runs["coinpaprika"]["rows_rejected"]) == (1, 5)
        assert (runs["coingecko"]["rows_inserted"], runs["coingecko"]["rows_rejected"]) == (18, 2)
        rejects = await service.fetch("SELECT reason FROM etl_rejects ORDER BY id")
        assert len(rejects) == 7 and all(r["reason"] for r in rejects)
        insane = await service.fetch(
            "SELECT * FROM quotes_history WHERE price_usd = 'NaN' OR price_usd > 1e30 OR volume_24h_usd < 0 "
            "OR market_cap_usd = 'NaN' OR volume_24h_usd = 'NaN'")
        assert insane == []

        paprika.tickers = make_paprika_tickers(100_000, seed=5)
        paprika.faults, gecko.faults = [], []
        runs = {r["source"]: r for r in await service.run()}
        assert runs["coinpaprika"]["status"] == "success", runs
        assert runs["coinpaprika"]["rows_read"] == 100_000
        latest = await service.fetch("SELECT count(*) AS n FROM quotes_latest WHERE source = 'coinpaprika'")
        assert latest[0]["n"] == 100_000

        async with session.get(f"{process.base_url}/health") as response:
            assert response.status == 200
        assert process.alive
        crashes = [r for r in process.log_records() if r.get("level") in ("ERROR", "CRITICAL") and "exc_info" in r]
        assert not crashes, crashes
