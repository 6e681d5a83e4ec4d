"""审计 page (administrators): who saw a full ID number or phone, who exported, backed up, restored,
and who changed which record; filtered by operator, action, teacher and date, and exported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.audit import AuditAction
from desktop.services import audit
from desktop.ui.context import AppContext, Changes
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.widgets import fill_table, read_only_table

DEFAULT_DAYS = 30


class AuditPage(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.actor = QComboBox()
        self.action = QComboBox()
        self.action.addItem(self.tr("全部操作"), "")
        for action in AuditAction:
            self.action.addItem(action.label, action.value)
        self.teacher = QLineEdit()
        self.teacher.setPlaceholderText(self.tr("教师姓名或身份证号"))
        self.teacher.returnPressed.connect(self.refresh)
        today = context.today()
        self.start = QDateEdit(QDate(today - dt.timedelta(days=DEFAULT_DAYS)))
        self.end = QDateEdit(QDate(today))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.search = QPushButton(self.tr("查询"))
        self.search.clicked.connect(self.refresh)
        self.export = QPushButton(self.tr("导出…"))
        self.export.clicked.connect(self.export_entries)
        self.count = QLabel()

        # The filters wrap onto a second line on a narrow screen (1366×768 at 150 %) instead of widening
        # the window; each group stays together, the teacher box wide enough for its placeholder.
        self.teacher.setMinimumWidth(
            self.teacher.fontMetrics().horizontalAdvance(self.teacher.placeholderText()) + 40
        )
        filters = FlowLayout()
        for group in (
            (QLabel(self.tr("操作员")), self.actor),
            (self.action,),
            (self.teacher,),
            (self.start, QLabel("—"), self.end),
            (self.search, self.export),
        ):
            filters.addWidget(_row(*group))
        self.table = read_only_table(
            [
                self.tr("时间"),
                self.tr("操作员"),
                self.tr("角色"),
                self.tr("操作"),
                self.tr("教师"),
                self.tr("详情"),
            ],
            stretch=5,
        )
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        context.changed.connect(self._on_changed)
        self._fill_actors()
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches("audit_log", "operators"):
            self._fill_actors()
            self.refresh()

    def _fill_actors(self) -> None:
        chosen = self.actor.currentData()
        names = self.context.read(audit.actors)
        self.actor.clear()
        self.actor.addItem(self.tr("全部"), "")
        for name in names:
            self.actor.addItem(name, name)
        index = self.actor.findData(chosen)
        self.actor.setCurrentIndex(max(index, 0))

    def current_filter(self) -> audit.AuditFilter:
        return audit.AuditFilter(
            actor=self.actor.currentData() or "",
            action=self.action.currentData() or "",
            teacher=self.teacher.text(),
            start=self.start.date().toPython(),
            end=self.end.date().toPython(),
        )

    def refresh(self) -> None:
        lines = self.context.read(audit.entries, self.current_filter())
        fill_table(
            self.table,
            [
                [
                    f"{line.at:%Y-%m-%d %H:%M:%S}",
                    line.actor,
                    line.role,
                    line.action,
                    line.teacher,
                    line.detail,
                ]
                for line in lines
            ],
        )
        self.count.setText(self.tr("共 {n} 条").format(n=len(lines)))

    def export_entries(self, out: Path | None = None) -> None:
        if out is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, self.tr("导出审计记录"), "审计记录.xlsx", "Excel (*.xlsx)"
            )
            if not chosen:
                return
            out = Path(chosen)
        count = self.context.read(audit.export_entries, self.current_filter(), out)
        self.context.inform(
            self, self.tr("导出审计记录"), self.tr("已导出 {n} 条到 {path}").format(n=count, path=out)
        )


def _row(*widgets: QWidget) -> QWidget:
    """Widgets that wrap as one (a caption and its box, the two ends of the date range)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row
