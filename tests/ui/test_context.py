"""The confirmation every irreversible step goes through, as a person sees it."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.ui.app import create_application
from desktop.ui.context import AppContext


def answer_box(seen: dict, button: QMessageBox.StandardButton) -> None:
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox)
    seen["text"] = box.text()
    seen["yes"] = box.button(QMessageBox.StandardButton.Yes).text()
    seen["default_is_cancel"] = box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(button).click()


def close_left_boxes() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.reject()


def test_confirmation_names_its_action_and_a_stray_enter_cancels(qtbot, empty_db):
    create_application([])
    context = AppContext(empty_db)
    text = "将为 3 人写入诚信档案，三年内不得参加国培。"
    for button, expected in (
        (QMessageBox.StandardButton.Cancel, False),
        (QMessageBox.StandardButton.Yes, True),
    ):
        seen: dict = {}
        QTimer.singleShot(0, lambda seen=seen, button=button: answer_box(seen, button))
        # Should the answer fail, the box is closed and the test fails rather than hangs.
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(close_left_boxes)
        guard.start(3000)
        answered = context.confirm(None, "确认结业结论", text, "确认结论")
        guard.stop()
        assert answered is expected
        assert seen == {"text": text, "yes": "确认结论", "default_is_cancel": True}
