"""drift's rules at their edges: the report's shape, the gone share, nested parents, which renames pair up."""
from __future__ import annotations

from service.etl import drift

SMALL = drift.Expectation(required=frozenset({"id", "price"}), known=frozenset({"id", "price", "volume"}))


def test_the_report_names_every_kind_of_drift_under_its_own_key():
    records = [{"id": "a", "prices": 1, "extra": True}] * 4
    report = drift.check(records, SMALL)
    assert report.as_dict() == {
        "missing_required": ["price"], "missing_optional": ["volume"], "unknown_fields": ["extra", "prices"],
        "possible_renames": [{"expected": "price", "seen": "prices", "confidence": 0.91}]}


def test_describe_lists_every_missing_field_and_its_likely_new_name():
    expected = drift.Expectation(required=frozenset({"id", "price", "volume"}), known=frozenset())
    report = drift.check([{"prices": 1, "vol_usd": 2}], expected)
    assert report.describe() == ("required field(s) missing: id, price, volume; 'price' may have been renamed "
                                 "to 'prices' (confidence 0.91); 'volume' may have been renamed to 'vol_usd' "
                                 "(confidence 0.62)")


def test_no_records_no_drift():
    report = drift.check([], SMALL)
    assert report == drift.DriftReport([], [], [], []) and report.as_dict() == {} and not report.breaking


def test_exactly_half_the_records_lacking_a_field_is_not_gone():
    records = [{"id": "a", "price": 1, "volume": 1}] * 2 + [{"id": "b", "volume": 1}] * 2
    assert drift.check(records, SMALL).missing_required == []
    assert drift.check(records + [{"id": "c", "volume": 1}], SMALL).missing_required == ["price"]


def test_a_required_field_is_missing_even_where_its_parent_is_null():
    expected = drift.Expectation(required=frozenset({"quote.price"}), known=frozenset({"quote"}))
    records = [{"quote": {"price": 1}}] + [{"quote": None}] * 3
    assert drift.check(records, expected).missing_required == ["quote.price"]


def test_an_optional_nested_field_is_judged_only_where_its_parent_is_an_object():
    expected = drift.Expectation(required=frozenset({"id"}), known=frozenset({"id", "BOX", "BOX.inner"}))
    absent_under_objects = [{"id": "a", "BOX": {"other": 1}}] * 4
    assert drift.check(absent_under_objects, expected).missing_optional == ["BOX.inner"]
    parent_null = [{"id": "a", "BOX": {"inner": 1}}] + [{"id": "a", "BOX": None}] * 3
    assert drift.check(parent_null, expected).missing_optional == []


def test_a_required_field_never_counts_as_optional_too():
    report = drift.check([{"id": "a", "volume": 1}] * 3, SMALL)
    assert report.missing_required == ["price"] and report.missing_optional == []


def test_a_partly_present_optional_field_is_not_listed_missing():
    records = [{"id": "a", "price": 1, "volume": 1}] + [{"id": "a", "price": 1}] * 3
    assert drift.check(records, SMALL).missing_optional == []


def test_each_missing_field_and_each_new_field_pair_at_most_once_best_first():
    renames = drift.renames(["price", "volume"], ["prices", "price_usd", "vol_usd"])
    assert renames == [{"expected": "price", "seen": "prices", "confidence": 0.91},
                       {"expected": "volume", "seen": "vol_usd", "confidence": 0.62}]
    assert drift.renames(["price", "prices_x"], ["prices"]) == [
        {"expected": "price", "seen": "prices", "confidence": 0.91}]


def test_renames_come_sorted_by_the_expected_name():
    renames = drift.renames(["zeta", "alpha"], ["zeta_1", "alpha_xyz"])
    assert [r["expected"] for r in renames] == ["alpha", "zeta"]


def test_a_similarity_of_exactly_the_threshold_is_a_rename():
    assert drift.renames(["volume"], ["volume_usd_24h"]) == [
        {"expected": "volume", "seen": "volume_usd_24h", "confidence": 0.6}]
    assert drift.renames(["volume"], ["volume_total_24h"]) == []


def test_similarity_compares_the_last_parts_and_discounts_a_move():
    assert drift.renames(["quotes.USD.price"], ["quotes.USD.price_usd"]) == [
        {"expected": "quotes.USD.price", "seen": "quotes.USD.price_usd", "confidence": 0.71}]
    assert drift.renames(["quotes.USD.price"], ["quotes.EUR.prices"]) == [
        {"expected": "quotes.USD.price", "seen": "quotes.EUR.prices", "confidence": 0.82}]
    assert drift.renames(["Price"], ["PRICES"])[0]["confidence"] == 0.91
