"""GET /stream with a hot standby: the changes are read like every other read, from the standby once it has
replayed them, from the primary while it has not; either way every stream gets each change once, in order."""
from __future__ import annotations

import asyncpg
import orjson
import pytest

from service import metrics
from service.app import create_app  # noqa: F401  (before service.keys, which the app imports in order)
from service.keys import READER
from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace
from tests.scale.conftest import database_name, eventually, standby  # noqa: F401  (the fixture)
from tests.stream.sse import next_event, opening_id

pytestmark = pytest.mark.slow  # makes a standby (pg_basebackup)


def _reads(server: str) -> float:
    return metrics.DB_READS.labels(server)._value.get()


async def test_changes_come_from_the_standby_once_replayed_else_from_the_primary(
        standby, make_client, settings, pool, tmp_path):  # noqa: F811
    url = standby.url(database_name(settings.database_url))
    await load_csv(pool, tmp_path / "seed.csv", coin_rows(2, hour=0))
    client = await make_client(replace(settings, database_read_urls=(url,)))
    reader = client.app[READER]
    replica = reader.replicas[0]
    await eventually(lambda: replica.state == "up" and reader.required_lsn is not None
                     and (replica.replay_lsn or 0) >= reader.required_lsn)
    async with client.get("/stream") as response:
        await opening_id(response)
        on_standby, on_primary = _reads(replica.name), _reads("primary")
        await load_csv(pool, tmp_path / "a.csv", coin_rows(2, hour=1, price="2"))
        caught_up = [await next_event(response) for _ in range(2)]
        assert _reads(replica.name) > on_standby, "the feed did not read from the replayed standby"

        paused = await asyncpg.connect(url)
        try:
            await paused.execute("SELECT pg_wal_replay_pause()")
            await eventually(lambda: paused.fetchval("SELECT pg_is_wal_replay_paused()"))
            on_primary = _reads("primary")
            await load_csv(pool, tmp_path / "b.csv", coin_rows(2, hour=2, price="3"))
            behind = [await next_event(response) for _ in range(2)]
            assert _reads("primary") > on_primary, "the standby has not replayed the change: the primary answers"
        finally:
            await paused.execute("SELECT pg_wal_replay_resume()")
            await paused.close()
    prices = [orjson.loads(e.data)["price_usd"] for e in caught_up + behind]
    assert prices == [2, 2, 3, 3]
    ids = [int(e.id) for e in caught_up + behind]
    assert ids == sorted(ids) and len(set(ids)) == 4
