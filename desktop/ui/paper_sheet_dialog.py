"""补录纸质签到表: the paper sheet's marks typed in, row by row in the sheet's 序号 order, one key each.

1 出勤 · 2 迟到 · 3 早退 · 4 请假 · 0 缺勤 — each key marks the row and moves down; ↑/↓ move,
Backspace clears, Ctrl+S saves. 迟到 and 早退 ask for the minutes missed (the time written on the sheet):
they cost hours by the presence rule, as at the door.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.printing.attendance_docs import SignInSheet
from desktop.services.attendance_documents import PAPER_MARKS, TIMED_MARKS, PaperMark
from desktop.ui import dialog_fit
from guopei_common.vocab import AttendanceStatus

KEYS = {
    Qt.Key.Key_1: AttendanceStatus.PRESENT,
    Qt.Key.Key_2: AttendanceStatus.LATE,
    Qt.Key.Key_3: AttendanceStatus.LEFT_EARLY,
    Qt.Key.Key_4: AttendanceStatus.EXCUSED,
    Qt.Key.Key_0: AttendanceStatus.ABSENT,
}


class MarksTable(QTableWidget):
    """A table that turns number keys into marks, so a whole sheet is entered without the mouse."""

    def __init__(self, rows: int, mark: Callable[[int, AttendanceStatus | None], bool]) -> None:
        super().__init__(rows, 4)
        self._mark = mark

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        if event.key() in KEYS and row >= 0:
            if self._mark(row, KEYS[event.key()]):  # not when the minutes were asked and cancelled
                self.setCurrentCell(min(row + 1, self.rowCount() - 1), 3)
            return
        if event.key() == Qt.Key.Key_Backspace and row >= 0:
            self._mark(row, None)
            return
        super().keyPressEvent(event)


class PaperSheetDialog(QDialog):
    def __init__(self, parent: QWidget | None, sheet: SignInSheet, order: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("补录纸质签到表 — {c} {d}").format(c=sheet.class_name, d=sheet.date))
        self.order = order
        self.marks: dict[str, PaperMark] = {}
        self.table = MarksTable(len(order), self.set_mark)
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in ("序号", "姓名", "学校/单位", "标记")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, line in enumerate(sheet.trainees):
            for column, text in enumerate((str(line.number), line.name, line.school, "")):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.setColumnWidth(2, 260)
        self.table.setCurrentCell(0, 3)
        help_text = QLabel(
            self.tr(
                "按键：1 出勤　2 迟到　3 早退（再填分钟数）　4 请假　0 缺勤（自动跳到下一行）；"
                "Backspace 清除；Ctrl+S 保存"
            )
        )
        self.count = QLabel()
        save = QPushButton(self.tr("保存（Ctrl+S）"))
        save.clicked.connect(self.accept)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.accept)
        cancel = QPushButton(self.tr("取消"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count)
        buttons.addStretch(1)
        buttons.addWidget(save)
        buttons.addWidget(cancel)
        layout = QVBoxLayout()
        layout.addWidget(help_text)
        layout.addWidget(self.table, 1)
        dialog_fit.lay_out(self, layout, buttons, preferred=QSize(760, 640))
        self._update_count()

    def set_mark(self, row: int, status: AttendanceStatus | None, minutes: int | None = None) -> bool:
        """Mark the row (None clears it); 迟到/早退 ask for their minutes unless given. False when the
        person cancelled that question: nothing is marked."""
        enrollment_id = self.order[row]
        if status is None:
            self.marks.pop(enrollment_id, None)
            self.table.item(row, 3).setText("")
        else:
            if status in TIMED_MARKS and minutes is None:
                minutes = self.ask_minutes(self.table.item(row, 1).text(), status)
                if minutes is None:
                    return False
            mark = PaperMark(status, minutes or 0)
            self.marks[enrollment_id] = mark
            self.table.item(row, 3).setText(self.tr(mark.label()))
        self._update_count()
        return True

    def ask_minutes(self, name: str, status: AttendanceStatus) -> int | None:
        question = (
            self.tr("{name} 迟到了多少分钟？（签到表上写的到达时间减去开始时间）")
            if status == AttendanceStatus.LATE
            else self.tr("{name} 提前多少分钟离开？（结束时间减去签退时间）")
        )
        minutes, ok = QInputDialog.getInt(
            self, self.tr(PAPER_MARKS[status]), question.format(name=name), 15, 1, 600
        )
        return minutes if ok else None

    def _update_count(self) -> None:
        self.count.setText(self.tr("已标记 {n}/{t} 人").format(n=len(self.marks), t=len(self.order)))
