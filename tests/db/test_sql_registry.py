"""The SQL registry: every statement the code names exists as a file, and each file holds one statement."""
from __future__ import annotations

import re

import pytest

from service.settings import PROJECT_ROOT
from service.sql import SQL, SqlRegistry


def test_every_statement_named_in_the_code_has_its_file():
    named = set()
    for path in (PROJECT_ROOT / "service").rglob("*.py"):
        named |= set(re.findall(r"\bSQL\.([a-z_][a-z0-9_]*)", path.read_text()))
    assert named, "no SQL.<name> references found"
    assert sorted(named - set(SQL)) == []


def test_each_file_is_one_statement():
    for name, text in SQL.items():
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        body = re.sub(r"'[^']*'", "''", body)
        assert body.strip().rstrip(";").count(";") == 0, name


def test_a_missing_statement_is_a_clear_error():
    with pytest.raises(AttributeError, match="sql/no_such_statement.sql"):
        SQL.no_such_statement


def test_an_empty_directory_fails_loading(tmp_path):
    with pytest.raises(RuntimeError, match="no SQL files"):
        SqlRegistry.load(tmp_path)
