"""Every item model of desktop/ui goes through Qt's own QAbstractItemModelTester (pytest-qt's
`qtmodeltester`), while the page drives it the way it does for a person: a reset on each search, rows
appended once the first screen is painted, rows dropped from the cache after an edit.

The tester reports a broken contract as a Qt warning (category qt.modeltest); each test asserts there
was none, and `qt_log_level_fail = "WARNING"` (pyproject) fails it on any other warning too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from PySide6.QtCore import QAbstractItemModel

import desktop.ui
from desktop.services.roster_import import Problem, RowOutcome
from desktop.ui.app import create_application
from desktop.ui.context import AppContext
from desktop.ui.import_dialog import OutcomeModel
from desktop.ui.teacher_table_model import TeacherTableModel
from desktop.ui.teachers_page import TeachersPage
from tests.conftest import DEMO_TODAY

TESTED = {TeacherTableModel, OutcomeModel}


def _broken_contract(qtlog) -> list[str]:
    """What the tester reported (its own logging category)."""
    return [record.message for record in qtlog.records if record.context.category == "qt.modeltest"]


def test_every_model_of_the_ui_is_tested_here() -> None:
    models = set()
    for module_info in pkgutil.iter_modules(desktop.ui.__path__, "desktop.ui."):
        module = importlib.import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, QAbstractItemModel) and cls.__module__ == module.__name__:
                models.add(cls)
    assert models == TESTED, "a model of desktop/ui without a QAbstractItemModelTester test below"


def test_the_teachers_model_through_search_append_and_edit(qtbot, qtmodeltester, qtlog, demo_db) -> None:
    create_application([])
    page = TeachersPage(AppContext(demo_db, today=lambda: DEMO_TODAY))
    qtbot.addWidget(page)
    page.show()
    model = page.model
    qtmodeltester.check(model)
    every = [model.id_at(row) for row in range(model.rowCount())]
    assert len(every) > 1000

    page.search.setText("z")  # a search as typed: the first screen, then the rest appended
    page.search_as_typed()
    first = model.rowCount()
    page._load_rest()
    assert model.rowCount() >= first > 0
    model.set_ids(every[:100])
    model.extend_ids(every)  # a continuation of what is shown: rows appended
    model.extend_ids(every[50:])  # not a continuation: a reset
    for row in (0, model.rowCount() - 1):  # rows fetched from the database a page at a time
        assert model.data(model.index(row, 0))
    model.forget(every[:3])  # an edit: the cached rows are dropped, the view told to ask again
    model.set_ids([])
    assert model.rowCount() == 0
    assert _broken_contract(qtlog) == []


def test_the_import_preview_model_with_every_kind_of_row(qtbot, qtmodeltester, qtlog) -> None:
    create_application([])
    model = OutcomeModel()
    qtmodeltester.check(model)
    rows = [
        RowOutcome(
            row=2, action="create", name="王芳", masked_id_number="5227**********0028", school_name="一中"
        ),
        RowOutcome(
            row=3,
            action="update",
            name="李明",
            masked_id_number="5227**********0011",
            school_name="二中",
            changes={"phone": "13800000000"},
        ),
        RowOutcome(row=4, action="unchanged", name="张三", masked_id_number="", school_name="三小"),
        RowOutcome(
            row=5,
            action="refuse",
            name="赵四",
            masked_id_number="",
            school_name="",
            problems=[Problem(None, "身份证号有误：校验码错误")],
        ),
    ]
    model.set_rows(rows)
    assert model.rowCount() == 4 and model.columnCount() == len(OutcomeModel.HEADERS)
    assert model.data(model.index(3, 5)) == "身份证号有误：校验码错误"
    model.set_rows(rows[:1])
    model.set_rows([])
    assert _broken_contract(qtlog) == []
