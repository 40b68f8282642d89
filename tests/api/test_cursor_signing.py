"""Cursors are signed with the deployment's key: forged or edited ones are a 400, the key survives a restart."""
from __future__ import annotations

import base64
import json

import pytest

from service.web import cursors
from tests.api.helpers import coin_rows, load_csv

FORGED_PAYLOADS = [
    {"q": {"symbol": "C0\x00", "source": None, "from_": None, "to": None}, "k": ["2026-01-01T00:00:00+00:00", "", ""]},
    {"q": {"symbol": "C0", "source": None, "from_": None, "to": None}, "k": ["1e999999999", "", ""]},
    {"q": {"symbol": "\ud800", "source": None, "from_": None, "to": None}, "k": ["2026-01-01T00:00:00+00:00", "", ""]},
    {"q": {"symbol": "C0", "source": None, "from_": "0001-01-01T00:00:00+05:00", "to": None},
     "k": ["2026-01-01T00:00:00+00:00", "", ""]},
]


def unsigned(payload) -> str:
    raw = json.dumps(payload).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def resigned_with(key: bytes, payload) -> str:
    original = cursors._key
    cursors.use_key(key)
    try:
        return cursors.encode(payload)
    finally:
        cursors.use_key(original)


@pytest.mark.parametrize("payload", FORGED_PAYLOADS)
async def test_forged_cursors_are_400_naming_cursor(client, payload):
    for cursor in (unsigned(payload), resigned_with(b"k" * 32, payload)):
        response = await client.get("/history", params={"symbol": "C0", "cursor": cursor})
        assert response.status == 400, await response.text()
        assert list((await response.json())["error"]["fields"]) == ["cursor"]


async def test_an_edited_cursor_is_refused_and_the_original_still_works(client, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(5))
    first = await (await client.get("/data?limit=2")).json()
    cursor = first["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    edited = raw[:cursors.TAG_BYTES] + raw[cursors.TAG_BYTES:].replace(b'"q"', b'"Q"')
    edited_cursor = base64.urlsafe_b64encode(edited).rstrip(b"=").decode()
    assert (await client.get(f"/data?cursor={edited_cursor}")).status == 400
    second = await client.get(f"/data?limit=2&cursor={cursor}")
    assert second.status == 200 and len((await second.json())["data"]) == 2


async def test_the_key_is_kept_in_the_database_and_shared_by_the_next_process(make_client, settings, pool, tmp_path):
    await load_csv(pool, tmp_path / "a.csv", coin_rows(5))
    first_app = await make_client(settings)
    cursor = (await (await first_app.get("/data?limit=2")).json())["next_cursor"]
    stored = await pool.fetchval("SELECT value FROM service_keys WHERE name = $1", cursors.KEY_NAME)
    assert stored is not None and len(stored) == 32
    cursors.use_key(b"\x00" * 32)  # what a fresh process would have before reading the database
    restarted = await make_client(settings)
    assert (await restarted.get(f"/data?cursor={cursor}")).status == 200
    assert await pool.fetchval("SELECT count(*) FROM service_keys") == 1
    assert await cursors.stored_key(pool) == bytes(stored)
