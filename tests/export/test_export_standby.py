"""GET /export/history with a hot standby: read from it once it has replayed the newest change, else from the
primary; the same file either way."""
from __future__ import annotations

import asyncpg
import pytest

from service.app import create_app  # noqa: F401  (before service.web.keys, which the app imports in order)
from service.web.keys import READER
from tests.api.helpers import coin_rows, load_csv
from tests.conftest import replace
from tests.scale.conftest import database_name, eventually, reads_by, replayed, standby  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # makes a standby (pg_basebackup)
EXPORT = "/export/history?from=2026-01-01&to=2026-01-02&format=ndjson"


async def test_the_export_reads_a_current_standby_and_the_primary_otherwise(
        standby, make_client, settings, pool, tmp_path):  # noqa: F811
    url = standby.url(database_name(settings.database_url))
    await load_csv(pool, tmp_path / "a.csv", "".join(coin_rows(3, hour=h) for h in range(4)))
    client = await make_client(replace(settings, database_read_urls=(url,)))
    reader = client.app[READER]
    replica = reader.replicas[0]

    await eventually(lambda: replayed(reader))
    on_standby = reads_by(replica.name)
    from_standby = await (await client.get(EXPORT)).text()
    assert reads_by(replica.name) > on_standby
    assert len(from_standby.splitlines()) == 12

    paused = await asyncpg.connect(url)
    try:
        await paused.execute("SELECT pg_wal_replay_pause()")
        await eventually(lambda: paused.fetchval("SELECT pg_is_wal_replay_paused()"))
        await load_csv(pool, tmp_path / "b.csv", coin_rows(3, hour=5))
        await eventually(lambda: (reader.required_lsn or 0) > (replica.replay_lsn or 0))
        on_primary, on_standby = reads_by("primary"), reads_by(replica.name)
        from_primary = await (await client.get(EXPORT)).text()
        assert reads_by("primary") > on_primary and reads_by(replica.name) == on_standby
    finally:
        await paused.execute("SELECT pg_wal_replay_resume()")
        await paused.close()
    lines = from_primary.splitlines()
    assert len(lines) == 15 and lines[:12] == from_standby.splitlines()
