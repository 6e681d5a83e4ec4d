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
