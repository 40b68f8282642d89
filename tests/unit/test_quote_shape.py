"""The quote is declared once (service.etl.records.QUOTE / API_QUOTE): the SQL that moves quotes on and the API's
quote schema list exactly its columns, in its order; a quote is built by keyword."""
from __future__ import annotations

import re

import pytest

from service.api.schemas import Quote
from service.etl.records import API_QUOTE, QUOTE
from service.sql import SQL

# what the stored quote has beyond the staged one, and what only staging needs
STORED_ONLY = {"listing_id", "asset_id", "run_id"}
STAGED_ONLY = {"match_key"}
STORED = [c for c in API_QUOTE.columns if c not in STAGED_ONLY]


def _lists(sql: str, opening: str) -> list[list[str]]:
    """The column lists that follow `opening` (a regex ending before the opening parenthesis)."""
    found = []
    for match in re.finditer(opening + r"\s*\(([^)]*)\)", sql):
        found.append([name.strip() for name in match.group(1).split(",")])
    return found


def _selected(sql: str, alias: str) -> list[list[str]]:
    """Per SELECT, the `alias.column` names it lists, in order."""
    return [re.findall(rf"\b{alias}\.([a-z_0-9]+)", body)
            for body in re.findall(r"SELECT(.*?)FROM", sql, re.S) if f"{alias}." in body]


@pytest.mark.parametrize("statement, table, alias", [
    ("insert_quotes_history", "quotes_history", "s"),
    ("upsert_quotes_latest", "quotes_latest AS q", "n"),
])
def test_the_sql_that_stores_quotes_lists_the_declared_columns_in_order(statement, table, alias):
    sql = SQL[statement]
    inserted = _lists(sql, rf"INSERT INTO {table}")
    assert inserted, statement
    for columns in inserted:
        assert [c for c in columns if c not in STORED_ONLY] == STORED
    selected = [names for names in _selected(sql, alias) if len(names) > 5]
    assert selected, statement
    for names in selected:
        assert [c for c in names if c not in STORED_ONLY] == STORED


def test_the_latest_state_update_sets_every_figure_of_the_quote():
    updated = re.findall(r"\n\s+([a-z_0-9]+) = EXCLUDED\.\1", SQL.upsert_quotes_latest)
    assert [c for c in updated if c in API_QUOTE.columns] == STORED[2:]


def test_the_stage_table_and_the_api_schema_hold_every_declared_column():
    staged = re.findall(r"^\s+([a-z_0-9]+)\s+(?:text|timestamptz|integer|numeric|bigint)", SQL.create_stage_quotes,
                        re.M)
    assert [c for c in staged if c in API_QUOTE.columns] == list(API_QUOTE.columns)
    assert set(STORED) <= set(Quote().fields)


def test_a_quote_is_built_by_keyword_and_a_column_not_given_is_null():
    row = QUOTE.row(source="csv", coin_id="btc-bitcoin", price_usd=1)
    assert len(row) == len(QUOTE.columns) and row[QUOTE.columns.index("price_usd")] == 1
    assert row[QUOTE.columns.index("rank")] is None
    assert API_QUOTE.columns[:len(QUOTE.columns)] == QUOTE.columns
    with pytest.raises(TypeError, match="price"):
        QUOTE.row(price=1)
