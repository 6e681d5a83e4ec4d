"""The wire schema of every synced entity (guopei_common.schema) says what the desktop's tables say: the
same columns, types, nullability, lengths and defaults, so that a payload the server accepts is one
every county PC can store, and a new column cannot be forgotten there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text, Time

from desktop.db.base import Base
from guopei_common.schema import COLUMNS, META, TEXT_LIMIT, PayloadRefused, completed, normalized, pulled_row

TABLES = {
    mapper.class_.__sync_entity__: mapper.class_.__table__
    for mapper in Base.registry.mappers
    if hasattr(mapper.class_, "__sync_entity__")
}


def _kind(column: Any) -> str:
    kind = column.type
    # DateTime before Date, Text before String (subclasses).
    for sql, name in ((DateTime, "datetime"), (Date, "date"), (Time, "time"), (Boolean, "bool")):
        if isinstance(kind, sql):
            return name
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Float):
        return "float"
    if isinstance(kind, String | Text):
        return "str"
    assert isinstance(kind, JSON), column
    return "json"


def _default(column: Any) -> Any:
    if column.default is None:
        return None
    return column.default.arg(None) if column.default.is_callable else column.default.arg


@pytest.mark.parametrize("entity", sorted(TABLES))
def test_the_wire_schema_matches_the_desktop_table(entity: str) -> None:
    table = TABLES[entity]
    columns = {column.name: column for column in table.columns if column.name not in META}
    specs = COLUMNS[entity]
    assert set(specs) == set(columns)
    for name, column in columns.items():
        spec = specs[name]
        kind = _kind(column)
        assert spec.kind == kind or (kind == "json" and spec.kind in ("dict", "list")), name
        assert spec.nullable == column.nullable, name
        if isinstance(column.type, String) and not isinstance(column.type, Text):
            assert spec.max_length == column.type.length, name
        elif isinstance(column.type, Text):
            assert spec.max_length == TEXT_LIMIT, name
        if column.default is None:
            assert spec.required or spec.nullable, name
        else:
            assert spec.default_value() == _default(column), name


def test_a_new_row_takes_its_defaults_and_a_missing_required_column_is_named() -> None:
    row = {"id": "t1", "hlc": f"{1:015d}-00000-dev", "origin": "dev"}
    teacher = {
        **row,
        "id_number": "52272719900101123X",
        "name": "王芳",
        "gender": "2",
        "birth_date": "1990-01-01",
    }
    with pytest.raises(PayloadRefused, match="school_id"):
        completed("teacher", normalized("teacher", teacher))
    full = completed("teacher", normalized("teacher", {**teacher, "school_id": "s1"}))
    assert (full["ethnicity"], full["role"], full["phone"], full["deleted"]) == ("01", "teacher", "", False)
    # An update keeps what the stored version has where the payload says nothing.
    assert completed("teacher", {**row, "phone": "1"}, stored=full)["name"] == "王芳"
    # A null where the column has a default counts as absent (the compact wire form's padding).
    assert "phone" not in normalized("teacher", {**teacher, "phone": None})


def test_a_pulled_row_with_a_newer_versions_columns_is_fine_and_a_broken_one_is_named() -> None:
    row = {"id": "s1", "hlc": f"{1:015d}-00000-dev", "origin": "dev", "deleted": False}
    school = {**row, "name": "一中", "county_code": "522727", "added_in_a_later_release": 1}
    assert "added_in_a_later_release" not in pulled_row("school", school)
    with pytest.raises(PayloadRefused, match="county_code"):
        pulled_row("school", {**school, "county_code": "五二二七二七"})
    with pytest.raises(PayloadRefused, match="hlc"):
        pulled_row("school", {**school, "hlc": "tomorrow"})
