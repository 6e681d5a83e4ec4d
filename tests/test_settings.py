"""Every setting is declared once, in desktop/settings.py, with its type, default and who changes it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from desktop import settings
from desktop.db import setting_values
from desktop.db.models import Setting
from desktop.settings import REGISTRY, ChangedBy, Kept

DESKTOP = Path(__file__).resolve().parents[1] / "desktop"


def test_every_default_has_its_declared_type_and_every_administrator_setting_a_permission() -> None:
    assert len(REGISTRY) >= 30
    for option in REGISTRY.values():
        assert option.accepts(option.default), option.key
        assert (option.permission is not None) == (option.changed_by is ChangedBy.ADMINISTRATOR), option.key
        assert (option.kept is Kept.PC_USER) == (option.changed_by is ChangedBy.PERSON), option.key


def test_no_module_spells_a_setting_key_of_its_own() -> None:
    """A key written as a string anywhere else is a second declaration that can drift from the first."""
    found = [
        f"{path.relative_to(DESKTOP.parent)}:{node.lineno}: {node.value}"
        for path in sorted(DESKTOP.rglob("*.py"))
        if path.name != "settings.py" and "migrations" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in REGISTRY
    ]
    assert found == []


def test_values_come_back_with_their_type_or_the_default(writable_demo) -> None:
    with writable_demo.write() as session:
        assert setting_values.value(session, settings.ATTENDANCE_GRACE_MINUTES) == 10
        assert not setting_values.is_set(session, settings.ATTENDANCE_GRACE_MINUTES)
        setting_values.store(session, settings.ATTENDANCE_GRACE_MINUTES, 15)
        with pytest.raises(TypeError):
            setting_values.store(session, settings.ATTENDANCE_GRACE_MINUTES, "15")
    with writable_demo.read() as session:
        assert setting_values.value(session, settings.ATTENDANCE_GRACE_MINUTES) == 15
    with writable_demo.write() as session:
        session.merge(Setting(key=settings.SYNC_REJECTED.key, value={"not": "a list"}))
    with writable_demo.read() as session:
        kept = setting_values.value(session, settings.SYNC_REJECTED)
        assert kept == [] and kept is not settings.SYNC_REJECTED.default
        with pytest.raises(ValueError, match="QSettings"):
            setting_values.value(session, settings.WINDOW_PAGE)
