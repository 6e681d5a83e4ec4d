"""更正诚信档案: an administrator changes what an integrity record says (its kind, the end of the ban)
after an appeal or a data-entry error, with a written reason; the record as it was stays in the audit
log, which the province keeps (desktop.services.integrity.correct)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from desktop.services.teachers import IntegrityLine
from desktop.ui import dialog_fit
from desktop.ui.widgets import ok_cancel
from guopei_common.vocab import IntegrityKind


class IntegrityCorrectionDialog(QDialog):
    def __init__(self, parent: QWidget | None, line: IntegrityLine) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("更正诚信档案"))
        self.kind = QComboBox()
        for kind in IntegrityKind:
            self.kind.addItem(kind.label, kind.value)
        self.kind.setCurrentIndex(max(0, self.kind.findData(line.kind)))
        self.ban_until = QDateEdit(QDate(line.ban_until.year, line.ban_until.month, line.ban_until.day))
        self.ban_until.setCalendarPopup(True)
        self.ban_until.setDisplayFormat("yyyy-MM-dd")
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr("如：申诉成立，实为因公缺席；录入时类型选错"))
        self.reason.setTabChangesFocus(True)
        note = QLabel(self.tr("更正的理由将记入审计记录并报省级平台；原来的内容保留在审计记录中。"))
        note.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("类型"), self.kind)
        form.addRow(self.tr("限制参加国培至"), self.ban_until)
        form.addRow(self.tr("更正理由"), self.reason)
        form.addRow(note)
        buttons = ok_cancel(self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("更正"))
        dialog_fit.lay_out(self, form, buttons)
        self.kind.setFocus()

    def chosen(self) -> tuple[IntegrityKind, dt.date, str]:
        return (
            IntegrityKind(self.kind.currentData()),
            self.ban_until.date().toPython(),
            self.reason.toPlainText(),
        )
