"""GET /stream with a hot standby: changes are read like every other read, from the standby once it has replayed
them, from the primary while it has not; either way every stream gets each change once, in order."""
from __future__ import annotations

import asyncpg
import orjson
import pytest

from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.web.keys import READER
from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace
from tests.scale.conftest import database_name, eventually, reads_by, replayed, standby  # noqa: F401  (the fixture)
from tests.stream.sse import next_event, opening_id

pytestmark = pytest.mark.slow  # makes a standby (pg_basebackup)


async def test_changes_come_from_the_primary_until_the_standby_has_them_then_from_the_standby(
        standby, make_client, settings, pool, tmp_path):  # noqa: F811
    url = standby.url(database_name(settings.database_url))
    await load_csv(pool, tmp_path / "seed.csv", coin_rows(2, hour=0))
    client = await make_client(replace(settings, database_read_urls=(url,)))
    reader = client.app[READER]
    replica = reader.replicas[0]

    await eventually(lambda: replayed(reader))
    paused = await asyncpg.connect(url)
    try:
        async with client.get("/stream") as live:
            before = await opening_id(live)
            await paused.execute("SELECT pg_wal_replay_pause()")
            await eventually(lambda: paused.fetchval("SELECT pg_is_wal_replay_paused()"))
            on_standby, on_primary = reads_by(replica.name), reads_by("primary")
            await load_csv(pool, tmp_path / "a.csv", coin_rows(2, hour=1, price="2"))
            first = [await next_event(live) for _ in range(2)]
            assert reads_by("primary") > on_primary and reads_by(replica.name) == on_standby, \
                "the standby has not replayed the changes: only the primary may answer"
        await paused.execute("SELECT pg_wal_replay_resume()")
        await eventually(lambda: replayed(reader))
        on_standby = reads_by(replica.name)
        async with client.get("/stream", headers={"Last-Event-ID": before}) as resumed:
            again = [await next_event(resumed) for _ in range(2)]
        assert reads_by(replica.name) > on_standby, "the replayed standby did not answer the resume"
    finally:
        await paused.execute("SELECT pg_wal_replay_resume()")
        await paused.close()
    assert [(e.id, e.data) for e in again] == [(e.id, e.data) for e in first]
    assert [orjson.loads(e.data)["price_usd"] for e in first] == [2, 2]
