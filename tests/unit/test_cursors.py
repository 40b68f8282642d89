"""Cursors without a database: the signed format, what decode refuses, and how a cursor binds its query."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest

from service.web import cursors
from service.web.errors import ApiError

KEY = bytes(range(32))
NAMES = ("symbol", "source", "from_")


@pytest.fixture(autouse=True)
def known_key():
    original = cursors._key
    cursors.use_key(KEY)
    yield
    cursors.use_key(original)


def unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed(raw: bytes, key: bytes = KEY) -> str:
    return unpadded(hmac.new(key, raw, hashlib.sha256).digest()[:16] + raw)


def refused(excinfo) -> None:
    error = excinfo.value
    assert isinstance(error, ApiError) and error.status_code == 400 and error.code == "invalid_parameters"
    assert error.message == "invalid parameter(s): cursor"
    assert error.fields == {"cursor": ["not a cursor this service issued; start again without it"]}


def test_encode_is_a_tag_then_compact_json_in_unpadded_urlsafe_base64():
    cursor = cursors.encode({"q": {"symbol": "BTC"}, "k": [1, "a"]})
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    raw = json.dumps({"q": {"symbol": "BTC"}, "k": [1, "a"]}, separators=(",", ":")).encode()
    assert cursor == signed(raw)
    assert cursors.TAG_BYTES == 16


def test_encode_writes_other_types_as_text():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    cursor = cursors.encode({"t": moment})
    assert cursors.decode(cursor, {"t": str}) == {"t": str(moment)}


@pytest.mark.parametrize("padding", [0, 1, 2, 3])
def test_decode_round_trips_whatever_the_padding(padding):
    payload = {"q": {"symbol": "B" * padding}, "k": ["2026-01-01T00:00:00+00:00", "csv", "x"]}
    assert cursors.decode(cursors.encode(payload), {"q": dict, "k": list}) == payload


def test_decode_accepts_a_tuple_of_types():
    assert cursors.decode(cursors.encode({"v": 3}), {"v": (str, int)}) == {"v": 3}


@pytest.mark.parametrize("cursor", [
    "", "%%%", "é", "A", "AAAAA", unpadded(b"short"),
    signed(b"[1, 2]"), signed(b'"text"'), signed(b"not json"), signed(b"\xff\xfe"),
    signed(b'{"q": {}, "k": []}', key=b"x" * 32),  # someone else's key
    unpadded(b'{"q": {}, "k": []}'),  # unsigned, as before signing
])
def test_decode_refuses_what_this_service_did_not_issue(cursor):
    with pytest.raises(ApiError) as excinfo:
        cursors.decode(cursor, {"q": dict, "k": list})
    refused(excinfo)


def test_decode_refuses_a_cursor_with_one_byte_changed():
    cursor = cursors.encode({"q": {"symbol": "BTC"}, "k": []})
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for position in (0, 15, 16, len(raw) - 1):
        edited = bytearray(raw)
        edited[position] ^= 1
        with pytest.raises(ApiError) as excinfo:
            cursors.decode(unpadded(bytes(edited)), {"q": dict})
        refused(excinfo)


@pytest.mark.parametrize(("payload", "required"), [
    ({"q": {}}, {"q": dict, "k": list}),  # a field missing
    ({"q": [], "k": []}, {"q": dict, "k": list}),  # the wrong type
    ({"k": "x"}, {"k": list}),
])
def test_decode_refuses_missing_or_mistyped_fields(payload, required):
    with pytest.raises(ApiError) as excinfo:
        cursors.decode(cursors.encode(payload), required)
    refused(excinfo)


def test_another_key_makes_every_earlier_cursor_invalid():
    cursor = cursors.encode({"q": {}})
    cursors.use_key(b"y" * 32)
    with pytest.raises(ApiError):
        cursors.decode(cursor, {"q": dict})
    cursors.use_key(KEY)
    assert cursors.decode(cursor, {"q": dict}) == {"q": {}}


class FakePool:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    async def fetchval(self, statement, *args):
        self.calls.append((statement, args))
        return self.answers.pop(0)


async def test_stored_key_stores_a_fresh_random_key_and_returns_what_the_database_keeps():
    pool = FakePool([None, b"k" * 32])
    assert await cursors.stored_key(pool) == b"k" * 32
    assert len(pool.calls) == 2
    statement, (name, offered) = pool.calls[0]
    assert "service_keys" in statement and name == cursors.KEY_NAME == "cursor-signing"
    assert isinstance(offered, bytes) and len(offered) == 32 and offered != pool.calls[1][1][1]


async def test_stored_key_gives_up_after_three_empty_answers():
    pool = FakePool([None, None, None, b"late" * 8])
    with pytest.raises(RuntimeError, match="^could not read or store the cursor signing key$"):
        await cursors.stored_key(pool)
    assert len(pool.calls) == 3


def test_bound_query_brings_the_cursors_filters_and_drops_unset_ones():
    state = {"q": {"symbol": "BTC", "source": None, "from_": "2026-01-01T00:00:00+00:00"}}
    merged = cursors.bound_query(state, {"limit": 5, "source": "csv"}, set(), NAMES)
    assert merged == {"limit": 5, "symbol": "BTC", "from_": "2026-01-01T00:00:00+00:00"}


def test_bound_query_accepts_a_parameter_sent_again_with_the_same_value():
    state = {"q": {"symbol": "BTC", "source": None, "from_": None}}
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    state["q"]["from_"] = moment.isoformat()
    merged = cursors.bound_query(state, {"symbol": "BTC", "from_": moment}, {"symbol", "from_"}, NAMES)
    assert merged["symbol"] == "BTC" and merged["from_"] == moment.isoformat()


def test_bound_query_refuses_a_parameter_sent_again_with_another_value():
    state = {"q": {"symbol": "BTC", "source": None, "from_": None}}
    with pytest.raises(ApiError) as excinfo:
        cursors.bound_query(state, {"symbol": "ETH"}, {"symbol"}, NAMES)
    error = excinfo.value
    assert error.status_code == 400 and error.code == "invalid_parameters"
    assert error.message == "invalid parameter(s): cursor, symbol"
    assert error.fields == {"cursor": ["issued for another symbol; send the cursor alone or with the same symbol"]}
    with pytest.raises(ApiError):  # sending a filter the cursor did not have is another query too
        cursors.bound_query(state, {"source": "csv"}, {"source"}, NAMES)


@pytest.mark.parametrize("bound", [None, [], "x", {"symbol": 1}, {"unknown": "x"}, {"symbol": ["BTC"]}])
def test_bound_query_refuses_a_malformed_query_state(bound):
    with pytest.raises(ApiError) as excinfo:
        cursors.bound_query({"q": bound}, {}, set(), NAMES)
    refused(excinfo)


def test_query_state_is_text_or_none_for_every_name():
    moment = datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert cursors.query_state({"symbol": "BTC", "from_": moment, "limit": 3}, NAMES) == {
        "symbol": "BTC", "source": None, "from_": "2026-01-02T00:00:00+00:00"}
    assert cursors.query_state({"symbol": 7}, ("symbol",)) == {"symbol": "7"}
