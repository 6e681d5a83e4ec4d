"""排课: one session, or the same block every week on chosen weekdays."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from desktop.ui import dialog_fit
from desktop.ui.widgets import ok_cancel
from guopei_common.vocab import SessionFormat

WEEKDAYS = "一二三四五六日"


class ScheduleDialog(QDialog):
    def __init__(self, parent: QWidget | None, *, classes: list[tuple[str, str]], first_day: dt.date) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("排课"))
        self.training_class = QComboBox()
        for class_id, name in classes:
            self.training_class.addItem(name, class_id)
        self.first_day = QDateEdit(QDate(first_day.year, first_day.month, first_day.day))
        self.first_day.setCalendarPopup(True)
        self.first_day.setDisplayFormat("yyyy-MM-dd")
        self.start = QTimeEdit(QTime(8, 30))
        self.end = QTimeEdit(QTime(11, 30))
        self.hours = QDoubleSpinBox(minimum=0.5, maximum=12, decimals=1, value=3)
        self.format = QComboBox()
        for member in SessionFormat:
            self.format.addItem(self.tr(member.label), member.value)
        self.title = QLineEdit()
        self.weeks = QSpinBox(minimum=1, maximum=52, value=1)
        self.weekdays = [QCheckBox(self.tr("周") + day) for day in WEEKDAYS]
        days = QWidget()
        row = QHBoxLayout(days)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.weekdays:
            row.addWidget(box)
        form = QFormLayout()
        form.addRow(self.tr("班级"), self.training_class)
        form.addRow(self.tr("首次日期"), self.first_day)
        form.addRow(self.tr("开始 / 结束"), _pair(self.start, self.end))
        form.addRow(self.tr("学时"), self.hours)
        form.addRow(self.tr("形式"), self.format)
        form.addRow(self.tr("内容"), self.title)
        form.addRow(self.tr("每周重复（不选则只排一次）"), days)
        form.addRow(self.tr("重复周数"), self.weeks)
        buttons = ok_cancel(self)
        dialog_fit.lay_out(self, form, buttons)

    def request(self) -> dict:
        """Keyword arguments for `projects.schedule_sessions`."""
        return {
            "class_id": self.training_class.currentData(),
            "first_day": self.first_day.date().toPython(),
            "start": self.start.time().toPython(),
            "end": self.end.time().toPython(),
            "hours": self.hours.value(),
            "session_format": SessionFormat(self.format.currentData()),
            "weeks": self.weeks.value(),
            "weekdays": tuple(i for i, box in enumerate(self.weekdays) if box.isChecked()),
            "title": self.title.text().strip(),
        }


def _pair(left: QWidget, right: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(left)
    layout.addWidget(right)
    return holder
