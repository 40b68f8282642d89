"""GET /stream: changes of the latest state arrive as events, in order, resumable by Last-Event-ID, filtered, capped."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from decimal import Decimal

import orjson

from service import metrics
from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.jsonutil import loads_exact
from service.web.keys import CHANGE_FEED
from service.sql import SQL
from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace
from tests.stream.sse import next_block, next_event, opening_id


async def _caught_up(client, pool) -> None:
    newest = await pool.fetchval("SELECT max(seq) FROM quote_changes")
    async with asyncio.timeout(5):
        while client.app[CHANGE_FEED].position < newest:
            await asyncio.sleep(0.02)


async def _quotes(response, count: int) -> list:
    return [await next_event(response) for _ in range(count)]


async def test_a_change_arrives_as_a_quote_event_with_the_record_as_data_serves_it(client, pool, tmp_path):
    async with client.get("/stream") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["X-Request-ID"]
        first = await opening_id(response)
        await load_csv(pool, tmp_path / "a.csv", "BTC,Bitcoin,97123.4500,1900000000000,41000000000,-1.25,1,"
                                                 "2026-01-01T00:00:00Z\n")
        event = await next_event(response)
    assert event.event == "quote"
    assert int(event.id) > int(first)
    record = loads_exact(event.data)
    served = await (await client.get("/data")).read()
    assert record == loads_exact(served)["data"][0]
    assert record["symbol"] == "BTC" and record["price_usd"] == Decimal("97123.4500")
    assert '"price_usd":97123.4500' in event.data  # exact digits, a JSON number


async def test_changes_come_in_sequence_order_and_only_forward_moves_count(client, pool, tmp_path):
    async with client.get("/stream") as response:
        await opening_id(response)
        await load_csv(pool, tmp_path / "a.csv", coin_rows(5, hour=1))
        first = await _quotes(response, 5)
        await load_csv(pool, tmp_path / "b.csv", coin_rows(5, hour=0, price="9"))  # older: no latest change
        await load_csv(pool, tmp_path / "c.csv", coin_rows(2, hour=2, price="2.5"))
        second = await _quotes(response, 2)
    ids = [int(e.id) for e in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 7
    assert [orjson.loads(e.data)["symbol"] for e in second] == ["C0", "C1"]
    assert all('"price_usd":2.5' in e.data for e in second)


async def test_filters_pick_a_symbol_and_a_source_case_insensitively(client, pool, tmp_path):
    async with client.get("/stream?symbol=c3&source=CSV") as picked, client.get("/stream?source=coingecko") as none:
        await opening_id(picked)
        await opening_id(none)
        await load_csv(pool, tmp_path / "a.csv", coin_rows(5, hour=1))
        event = await next_event(picked)
        assert orjson.loads(event.data)["symbol"] == "C3"
        block = await next_block(none, timeout=15)
        assert block.data is None  # only heartbeats: no coingecko change happened
    async with client.get("/stream?source=nope") as refused:
        assert refused.status == 400
        assert "source" in (await refused.json())["error"]["fields"]


async def test_resume_with_last_event_id_delivers_exactly_the_missed_changes_in_order(client, pool, tmp_path):
    async with client.get("/stream") as response:
        await opening_id(response)
        await load_csv(pool, tmp_path / "a.csv", coin_rows(3, hour=1))
        seen = await _quotes(response, 3)
    last = seen[-1].id
    # disconnected: these are missed
    await load_csv(pool, tmp_path / "b.csv", coin_rows(4, hour=2, price="2"))
    await load_csv(pool, tmp_path / "c.csv", coin_rows(2, hour=3, price="3"))
    await _caught_up(client, pool)  # so all missed changes come before the opening id (later ones come after it)
    async with client.get("/stream", headers={"Last-Event-ID": last}) as resumed:
        missed = await _quotes(resumed, 6)
        position = await opening_id(resumed)
        await load_csv(pool, tmp_path / "d.csv", coin_rows(1, hour=4, price="4"))
        live = await next_event(resumed)
    ids = [int(e.id) for e in missed]
    assert ids == sorted(ids) and min(ids) > int(last) and int(position) == max(ids)
    got = [(orjson.loads(e.data)["symbol"], orjson.loads(e.data)["price_usd"]) for e in missed]
    assert got == [(f"C{i}", 2) for i in range(4)] + [("C0", 3), ("C1", 3)]
    assert int(live.id) > int(position) and orjson.loads(live.data)["price_usd"] == 4


async def test_a_resume_from_past_the_replay_window_or_a_foreign_id_is_a_reset(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(3, hour=1))
    await _caught_up(client, pool)
    await pool.execute("UPDATE quote_changes SET changed_at = now() - interval '2 hours'")
    assert await pool.fetchval("SELECT count(*) FROM quote_changes") == 3
    assert await pool.fetchval(SQL.delete_expired_quote_changes, 3600.0) == 3
    for sent in ("1", "999999", "banana"):
        async with client.get("/stream", headers={"Last-Event-ID": sent}) as response:
            event = await next_event(response)
            assert event.event == "reset", sent
            assert int(event.id) >= 3
            assert "reload /data" in orjson.loads(event.data)["reason"]


async def test_open_streams_are_capped(make_client, settings):
    client = await make_client(replace(settings, stream_max_clients=2))
    async with client.get("/stream") as one, client.get("/stream") as two:
        assert one.status == two.status == 200
        async with client.get("/stream") as three:
            assert three.status == 503
            assert three.headers["Retry-After"]
            assert (await three.json())["error"]["code"] == "service_unavailable"
    await asyncio.sleep(0.1)
    async with client.get("/stream") as again:
        assert again.status == 200


async def test_a_client_that_left_frees_its_place_at_once_not_at_the_next_heartbeat(make_client, settings):
    client = await make_client(replace(settings, stream_max_clients=1, stream_heartbeat_seconds=600))
    # as `python -m service` serves (aiohttp's default): a handler is not cancelled when its client leaves (the
    # test server cancels it, which would end the stream whatever the service did)
    client.server.runner.server.handler_cancellation = False
    for _ in range(3):  # an EventSource reconnecting after its connection dropped, three times
        async with client.get("/stream") as response:
            assert response.status == 200
            await opening_id(response)
        # the connection is closed, the server has not written to it since: only the closed transport tells
        async with asyncio.timeout(5):
            while not all(subscriber.gone for subscriber in client.app[CHANGE_FEED].subscribers):
                await asyncio.sleep(0.01)


async def test_an_idle_stream_gets_heartbeat_comments_and_a_departed_client_is_let_go(make_client, settings):
    client = await make_client(replace(settings, stream_heartbeat_seconds=0.2))
    async with client.get("/stream") as response:
        await opening_id(response)
        block = await next_block(response, timeout=2)
        assert block.comments and not block.fields
        assert len(client.app[CHANGE_FEED].subscribers) == 1
    # the client left: its stream ends at the next heartbeat at the latest, and no longer counts
    async with asyncio.timeout(2):
        while client.app[CHANGE_FEED].subscribers:
            await asyncio.sleep(0.05)


async def test_a_client_that_stops_reading_is_dropped_while_the_others_keep_receiving(
        make_client, settings, pool, tmp_path):
    # 4 MB of slack for the client that reads (it shares this process's two cores with the server, so under load
    # it may lag behind by more than 1 MB); the stalled one overflows any of it
    client = await make_client(replace(settings, stream_client_buffer_kb=4096))
    feed = client.app[CHANGE_FEED]
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and it never reads: the server's writes block
    stalled.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(stalled, (client.host, client.port))
    await loop.sock_sendall(stalled, b"GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
    dropped_before = metrics.STREAM_DROPPED._value.get()
    try:
        async with client.get("/stream") as reader:
            await opening_id(reader)
            assert len(feed.subscribers) == 2
            count = 20_000  # about 11 MB of events: more than the socket buffers and the 4 MB queue hold
            await load_csv(pool, tmp_path / "many.csv", coin_rows(count, hour=1))
            received = [await next_event(reader) for _ in range(count)]
            assert len({e.id for e in received}) == count
            assert len(feed.subscribers) == 1, "the stalled client is still subscribed"
        assert metrics.STREAM_DROPPED._value.get() == dropped_before + 1
        async with asyncio.timeout(10):  # cut, not left half-open: what was sent, then the end
            with contextlib.suppress(ConnectionResetError):
                while await loop.sock_recv(stalled, 1 << 20):
                    pass
    finally:
        stalled.close()
