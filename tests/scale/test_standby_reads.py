"""Reads from a real hot standby: used when it has the data, never when it lags, and never a client's problem."""
from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from service import metrics
from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.replicas import label
from service.web.keys import READER, SNAPSHOTS
from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace
from tests.scale.conftest import database_name, eventually, reads_by

pytestmark = pytest.mark.slow  # each makes a standby (pg_basebackup) and starts the app
QUERIES = ["/data?limit=500", "/data?limit=7&sort=-market_cap_usd", "/history?symbol=C1&limit=1000",
           "/history?symbol=C2&limit=3", "/assets/C3", "/candles?symbol=C1&interval=1h"]


def _fallbacks(server: str, reason: str) -> float:
    return metrics.REPLICA_FALLBACKS.labels(server, reason)._value.get()


async def _answers(client, queries=QUERIES) -> dict[str, object]:
    """Each query's status and data (the envelope's request id and latency differ per call)."""
    answers = {}
    for query in queries:
        response = await client.get(query)
        body = await response.json()
        answers[query] = (response.status, body.get("data", body.get("assets")))
    return answers


async def _with_standby(make_client, settings, standby):
    url = standby.url(database_name(settings.database_url))
    client = await make_client(replace(settings, database_read_urls=(url,)))
    reader = client.app[READER]
    replica = reader.replicas[0]
    # up, and caught up with the newest change the service knows of (else reads rightly go to the primary)
    await eventually(lambda: replica.state == "up" and reader.required_lsn is not None
                     and (replica.replay_lsn or 0) >= reader.required_lsn,
                     message=lambda: f"{reader.describe()} required={reader.required_lsn}")
    return client, reader.replicas[0].name, url


async def _load(pool, tmp_path, name: str, hours: range, price: str) -> None:
    await load_csv(pool, tmp_path / name, "".join(coin_rows(5, hour=h, price=price) for h in hours))


async def test_the_api_reads_from_the_standby_and_answers_as_the_primary_would(
        standby, make_client, settings, pool, tmp_path):
    await _load(pool, tmp_path, "a.csv", range(0, 6), "1.5")
    primary_only = await make_client(settings)
    client, name, url = await _with_standby(make_client, settings, standby)
    before = reads_by(name)

    expected = await _answers(primary_only)
    assert all(status == 200 and data for status, data in expected.values()), expected
    assert await _answers(client) == expected
    assert reads_by(name) - before >= 4  # the snapshot of /data, both /history pages, /assets, /candles
    connection = await asyncpg.connect(url)
    try:
        held = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'crypto-market-data' "
            "AND datname = current_database()")
        assert await connection.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await connection.close()
    assert held >= 1, "the service holds no connection on the standby"
    # idle, the standby has everything: no lag (the primary's position is never past a page header it just began)
    replica = client.app[READER].replicas[0]
    await eventually(lambda: replica.lag_bytes == 0 and replica.lag_seconds == 0, message=replica.describe)
    health = await (await client.get("/health")).json()
    assert [(r["name"], r["state"], r["lag_bytes"]) for r in health["replicas"]] == [(name, "up", 0)]
    assert health["status"] == "healthy" or all("replica" not in p for p in health["problems"])
    text = await (await client.get("/metrics")).text()
    assert f'db_reads_total{{server="{name}"}}' in text
    assert f'db_replica_up{{replica="{name}"}} 1.0' in text


async def test_a_standby_stopped_mid_traffic_changes_nothing_a_client_sees(
        standby, make_client, settings, pool, tmp_path):
    await _load(pool, tmp_path, "a.csv", range(0, 6), "1.5")
    client, name, _url = await _with_standby(make_client, settings, standby)
    expected = await _answers(await make_client(settings))
    seen: list[tuple[str, object]] = []
    stop = asyncio.Event()

    async def traffic(worker: int) -> None:
        while not stop.is_set():
            for query in QUERIES:
                response = await client.get(query)
                body = await response.json()
                seen.append((query, (response.status, body.get("data", body.get("assets")))))
            # a new generation: the response cache and /data's snapshot are emptied, so every round reads again
            client.app[SNAPSHOTS].invalidate()

    workers = [asyncio.create_task(traffic(i)) for i in range(4)]
    try:
        await eventually(lambda: reads_by(name) > 20)
        await asyncio.to_thread(standby.stop, "immediate")
        await eventually(lambda: client.app[READER].replicas[0].state == "down")
        served_by_primary = reads_by("primary")
        await eventually(lambda: reads_by("primary") > served_by_primary + 20)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    wrong = [(q, answer) for q, answer in seen if answer != expected[q]]
    assert wrong == [], wrong[:3]
    assert len(seen) > 50
    health = await client.get("/health")
    body = await health.json()
    assert health.status == 200 and body["status"] == "degraded"
    assert body["replicas"][0]["state"] == "down"
    assert any(p.startswith(f"replica {name}: down") for p in body["problems"])

    # back again: it is retried and serves reads once more
    await asyncio.to_thread(standby.start)
    await eventually(lambda: client.app[READER].replicas[0].state == "up", timeout=30)
    before = reads_by(name)
    client.app[SNAPSHOTS].invalidate()
    assert await _answers(client) == expected
    assert reads_by(name) > before


async def test_a_lagging_standby_is_never_read_for_newer_data(standby, make_client, settings, pool, tmp_path):
    await _load(pool, tmp_path, "a.csv", range(0, 3), "1.5")
    client, name, url = await _with_standby(make_client, settings, standby)
    old = await _answers(client)
    paused = await asyncpg.connect(url)
    try:
        await paused.execute("SELECT pg_wal_replay_pause()")
        generation = client.app[SNAPSHOTS].generation
        behind = _fallbacks(name, "behind")
        await _load(pool, tmp_path, "b.csv", range(3, 6), "2.5")
        await eventually(lambda: client.app[SNAPSHOTS].generation > generation)

        new = await _answers(await make_client(settings))  # the primary's answers now
        assert new != old
        assert await _answers(client) == new
        assert _fallbacks(name, "behind") > behind
        # the standby really is behind: it still holds only the first load
        assert await paused.fetchval("SELECT count(*) FROM quotes_history") == 15
        assert await paused.fetchval("SELECT pg_is_wal_replay_paused()")

        await paused.execute("SELECT pg_wal_replay_resume()")
        reader = client.app[READER]
        await eventually(lambda: (reader.replicas[0].replay_lsn or 0) >= reader.required_lsn)
        reads = reads_by(name)
        client.app[SNAPSHOTS].invalidate()
        assert await _answers(client) == new
        assert reads_by(name) > reads
    finally:
        with contextlib.suppress(Exception):
            await paused.execute("SELECT pg_wal_replay_resume()")
        await paused.close()


@pytest.mark.parametrize("dsn, shown", [
    ("postgresql://app:s3cret@10.0.0.7:5433/market", "10.0.0.7:5433/market"),
    ("postgresql://app:s3cret@/market?host=/run/pg", "/run/pg:5432/market"),
])
def test_a_standby_is_named_without_its_password(dsn, shown):
    assert label(dsn) == shown


async def test_a_promoted_standby_is_never_read(standby, make_client, settings, pool, tmp_path):
    await _load(pool, tmp_path, "a.csv", range(0, 3), "1.5")
    client, name, url = await _with_standby(make_client, settings, standby)
    promoted = await asyncpg.connect(url)
    try:
        await promoted.fetchval("SELECT pg_promote()")
        # it no longer follows the primary: what is written there now is another history
        await promoted.execute("UPDATE quotes_latest SET price_usd = 999")
    finally:
        await promoted.close()
    replica = client.app[READER].replicas[0]
    await eventually(lambda: replica.state == "not_standby", message=replica.describe)
    reads = reads_by(name)
    client.app[SNAPSHOTS].invalidate()
    answers = await _answers(client)
    assert answers == await _answers(await make_client(settings))
    assert reads_by(name) == reads
    body = await (await client.get("/health")).json()
    assert body["status"] == "degraded" and body["replicas"][0]["state"] == "not_standby"


def test_wal_positions_order_as_numbers():
    from service.replicas import format_lsn, parse_lsn

    assert parse_lsn("0/3000028") == 0x3000028
    assert parse_lsn("16/B374D848") > parse_lsn("15/FFFFFFFF")
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"
    assert parse_lsn(None) is None


async def test_without_a_known_position_every_read_goes_to_the_primary(pool):
    from service.replicas import ReadRouter, Replica

    router = ReadRouter(pool)
    router.replicas = [Replica("never-used", "postgresql://x@127.0.0.1:9/x", pool=pool, state="up")]
    primary = reads_by("primary")
    assert [tuple(r) for r in await router.fetch("SELECT 1 AS one")] == [(1,)]
    assert reads_by("primary") == primary + 1 and reads_by("never-used") == 0
