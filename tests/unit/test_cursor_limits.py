"""A cursor keeps its page size (`l`) unless `limit` is sent again, and the names a request sent are known
by their schema attribute names: how /data, /runs, /rejects and /history page when sent a cursor alone."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from service.web import cursors
from service.web.errors import ApiError

DEFAULT_LIMIT = 100  # what the query schema fills in when the caller sends no limit


def refused(excinfo) -> None:
    error = excinfo.value
    assert error.status_code == 400 and error.code == "invalid_parameters"
    assert error.fields == {"cursor": ["not a cursor this service issued; start again without it"]}


def test_a_cursor_sent_alone_keeps_the_limit_of_the_page_it_came_from():
    state = cursors.decode(cursors.encode({"q": {}, "k": [], "l": 25}), {"q": dict})
    assert cursors.kept_limit(state, {"limit": DEFAULT_LIMIT}, {"cursor"}) == 25


def test_a_limit_sent_with_the_cursor_wins_over_the_kept_one():
    assert cursors.kept_limit({"l": 25}, {"limit": 10}, {"cursor", "limit"}) == 10
    assert cursors.kept_limit({"l": 25}, {"limit": DEFAULT_LIMIT}, {"cursor", "limit"}) == DEFAULT_LIMIT


def test_a_cursor_without_a_kept_limit_pages_by_the_query_limit():
    # cursors issued before limits were kept carry no `l`
    assert cursors.kept_limit({"q": {}}, {"limit": DEFAULT_LIMIT}, {"cursor"}) == DEFAULT_LIMIT
    assert cursors.kept_limit({"q": {}, "l": None}, {"limit": 7}, set()) == 7


def test_a_kept_limit_of_one_is_kept():
    assert cursors.kept_limit({"l": 1}, {"limit": DEFAULT_LIMIT}, set()) == 1


@pytest.mark.parametrize("kept", [0, -5, "5", 5.0, True, [5], {"n": 5}])
def test_a_kept_limit_that_is_not_a_positive_whole_number_is_refused(kept):
    with pytest.raises(ApiError) as excinfo:
        cursors.kept_limit({"l": kept}, {"limit": DEFAULT_LIMIT}, {"cursor"})
    refused(excinfo)


def test_a_malformed_kept_limit_does_not_matter_once_limit_is_sent_again():
    assert cursors.kept_limit({"l": "x"}, {"limit": 3}, {"limit"}) == 3


@pytest.mark.parametrize(("query_string", "names"), [
    ("", set()),
    ("cursor=abc", {"cursor"}),
    ("symbol=BTC&from=2026-01-01&to=2026-02-01&limit=5", {"symbol", "from_", "to", "limit"}),
    ("from=2026-01-01&from=2026-01-02", {"from_"}),
    ("from_=x&fromage=y", {"from_", "fromage"}),
    ("FROM=x", {"FROM"}),
])
def test_sent_names_are_the_query_parameters_by_their_schema_names(query_string, names):
    request = make_mocked_request("GET", f"/history?{query_string}" if query_string else "/history")
    assert cursors.sent_names(request) == names


def test_from_sent_again_with_another_value_is_a_400_naming_from():
    state = {"q": {"symbol": "BTC", "from_": "2026-01-01T00:00:00+00:00"}}
    request = make_mocked_request("GET", "/history?cursor=c&from=2026-01-02")
    with pytest.raises(ApiError) as excinfo:
        cursors.bound_query(state, {"from_": "2026-01-02"}, cursors.sent_names(request), ("symbol", "from_"))
    assert excinfo.value.message == "invalid parameter(s): cursor, from_"
