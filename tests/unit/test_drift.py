"""drift.check: required fields gone, optional ones gone, new ones, renames with a confidence."""
from __future__ import annotations

from service.etl import drift
from service.etl.sources.coingecko import EXPECTED as GECKO
from service.etl.sources.coinpaprika import EXPECTED as PAPRIKA
from tests.fakes.upstream import load_gecko_fixture, make_paprika_tickers, with_price_changes

SMALL = drift.Expectation(required=frozenset({"id", "price"}), known=frozenset({"id", "price", "volume", "roi",
                                                                               "roi.times"}))


def test_real_payloads_show_no_drift():
    # the recorded page, as CoinGecko answers the source's request (which asks for the 1 h and 7 d change)
    assert drift.check(with_price_changes(load_gecko_fixture(), ["1h", "7d"]), GECKO).as_dict() == {}
    assert drift.check(make_paprika_tickers(30), PAPRIKA).as_dict() == {}


def test_required_field_missing_from_most_records_is_breaking():
    records = [{"id": "a", "volume": 1}] * 3 + [{"id": "b", "price": 1, "volume": 1}]
    report = drift.check(records, SMALL)
    assert report.breaking and report.missing_required == ["price"]
    assert report.describe() == "required field(s) missing: price"


def test_required_field_missing_from_a_few_records_is_not_drift():
    records = [{"id": "a", "price": 1, "volume": 1}] * 3 + [{"id": "b", "volume": 1}]
    assert not drift.check(records, SMALL).breaking


def test_nested_required_field():
    tickers = make_paprika_tickers(5)
    for ticker in tickers:
        del ticker["quotes"]["USD"]["price"]
    report = drift.check(tickers, PAPRIKA)
    assert report.missing_required == ["quotes.USD.price"]


def test_rename_found_with_confidence():
    records = [{"id": "a", "price_usd": 1, "volume": 2}]
    report = drift.check(records, SMALL)
    assert report.renamed == [{"expected": "price", "seen": "price_usd", "confidence": 0.71}]
    assert "'price' may have been renamed to 'price_usd' (confidence 0.71)" in report.describe()


def test_unrelated_new_field_is_no_rename():
    report = drift.check([{"id": "a", "volume": 2, "ticker": "x"}], SMALL)
    assert report.renamed == [] and report.unknown == ["ticker"] and report.missing_required == ["price"]


def test_each_new_field_explains_one_missing_field_at_most():
    found = drift.renames(["current_price", "price"], ["current_price_usd"])
    assert found == [{"expected": "current_price", "seen": "current_price_usd", "confidence": 0.87}]


def test_a_field_moved_to_another_parent_scores_lower():
    same = drift.renames(["quotes.USD.price"], ["quotes.USD.price"[:-5] + "prices"])
    moved = drift.renames(["quotes.USD.price"], ["quotes.EUR.prices"])
    assert same[0]["confidence"] > moved[0]["confidence"] >= 0.6


def test_children_of_a_null_object_are_not_missing():
    records = [{"id": "a", "price": 1, "volume": 1, "roi": None}] * 4
    assert drift.check(records, SMALL).as_dict() == {}
    records.append({"id": "b", "price": 1, "volume": 1, "roi": {"currency": "usd"}})
    report = drift.check(records, SMALL)
    assert report.missing_optional == ["roi.times"] and report.unknown == ["roi.currency"]


def test_unknown_and_optional_fields_are_not_breaking():
    report = drift.check([{"id": "a", "price": 1, "extra": {"deep": 1}}], SMALL)
    assert not report.breaking
    assert report.as_dict() == {"missing_optional": ["roi", "volume"], "unknown_fields": ["extra", "extra.deep"]}


def test_empty_payload_has_no_findings():
    assert drift.check([], SMALL).as_dict() == {}
