"""Failures show themselves: an expected error with its own message, a bug with the log's location."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from desktop.errors import DatabaseCorrupt
from desktop.logs import setup_logging
from desktop.ui.app import create_application
from desktop.ui.errors import error_box, install_excepthook


def test_expected_error_shows_its_chinese_message(qtbot):
    create_application([])
    box = error_box(
        None, DatabaseCorrupt(Path("/data/guopei.sqlite3"), "page 3 is never used"), log_path=None
    )
    qtbot.addWidget(box)
    assert box.icon() == QMessageBox.Icon.Warning
    assert "数据库文件已损坏" in box.text() and "/data/guopei.sqlite3" in box.text()


def test_bug_shows_apology_with_log_location(qtbot, tmp_path):
    create_application([])
    log_path = tmp_path / "logs" / "guopei-desk.log"
    box = error_box(None, ZeroDivisionError("division by zero"), log_path=log_path)
    qtbot.addWidget(box)
    assert box.icon() == QMessageBox.Icon.Critical
    assert "意外错误" in box.text()
    assert str(log_path) in box.informativeText()
    assert "ZeroDivisionError" in box.detailedText()


def test_uncaught_exception_is_logged_and_presented(tmp_path):
    log_path = setup_logging(tmp_path)
    presented: list[BaseException] = []
    old_hook = sys.excepthook
    try:
        install_excepthook(log_path, present=presented.append)
        try:
            raise ValueError("boom in a slot")
        except ValueError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        sys.excepthook = old_hook
        for handler in logging.getLogger().handlers[:]:
            handler.flush()
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert [str(e) for e in presented] == ["boom in a slot"]
    assert "boom in a slot" in log_path.read_text(encoding="utf-8")


def test_an_empty_dismissal_reason_is_a_warning_not_a_crash(qtbot, writable_demo, caplog):
    """The rule that asks for a reason refuses (RuleViolation): the person sees the rule's words as a
    warning, and the log holds no traceback — as it would for a bug."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from desktop.db.models import Enrollment, Project
    from desktop.ui.context import AppContext
    from desktop.ui.projects_page import ProjectsPage
    from desktop.ui.tasks import TaskRunner
    from guopei_common.vocab import EnrollmentStatus
    from tests.conftest import DEMO_TODAY

    create_application([])
    with writable_demo.read() as session:
        project_id = session.scalar(
            select(Project.id)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Project.owner == "county", Enrollment.status == "attending")
        )
    page = ProjectsPage(
        AppContext(writable_demo, today=lambda: DEMO_TODAY, runner=TaskRunner(synchronous=True))
    )
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(None))
    page.table.selectRow([r.id for r in page.rows].index(project_id))
    page.tabs.setCurrentIndex(0)  # 学员
    table = page.trainees_tab.table
    table.selectRow(next(r for r in range(table.rowCount()) if table.item(r, 4).text() == "参训中"))

    seen: dict = {}

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.update(icon=box.icon(), text=box.text())
            box.accept()

    QTimer.singleShot(0, read_and_close)
    with caplog.at_level(logging.INFO):
        assert not page.trainees_tab.step_selected(EnrollmentStatus.DISMISSED, "")
    assert seen["icon"] == QMessageBox.Icon.Warning
    assert "须填写原因" in seen["text"] and "意外错误" not in seen["text"]
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    assert [r.getMessage() for r in caplog.records if r.name == "desktop.ui.errors"] == [
        "shown to the user: RuleViolation"
    ]


def test_an_uncaught_refusal_is_shown_without_a_traceback_in_the_log(tmp_path):
    """A page's read refused (a permission, say) reaches the excepthook: shown, and no crash in the log."""
    from desktop.errors import PermissionDenied

    log_path = setup_logging(tmp_path)
    presented: list[BaseException] = []
    old_hook = sys.excepthook
    try:
        install_excepthook(log_path, present=presented.append)
        error = PermissionDenied("需要“查看审计记录”权限")
        sys.excepthook(type(error), error, None)
    finally:
        sys.excepthook = old_hook
        for handler in logging.getLogger().handlers[:]:
            handler.flush()
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert presented == [error]
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in text and "uncaught exception" not in text
