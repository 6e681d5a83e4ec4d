"""教师档案: one teacher in full — the only place the whole ID number and phone are shown."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.roles import Permission
from desktop.services import access, integrity
from desktop.services.teachers import TeacherFile
from desktop.ui import dialog_fit
from desktop.ui.context import AppContext
from desktop.ui.integrity_correction_dialog import IntegrityCorrectionDialog
from desktop.ui.labels import code_label, vocab_label
from desktop.ui.operations import Op
from guopei_common.vocab import IntegrityKind


def _table(headers: list[str], rows: list[list[str]], *, stretch: int) -> QTableWidget:
    """Short columns sized to their contents; the `stretch` column (a project's long name) takes the
    room left and is elided, its full text in the tooltip, so that no short column such as 出勤 is
    pushed out of sight; a column with nothing in it (说明 for most people) is not shown at all."""
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(False)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    for c in range(len(headers)):
        table.setColumnHidden(c, c != stretch and bool(rows) and not any(row[c] for row in rows))
    return table


class TeacherFileDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, record: TeacherFile, *, context: AppContext | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.record = record
        self.setWindowTitle(self.tr("教师档案 — {name}").format(name=record.name))
        facts = QFormLayout()
        facts.addRow(self.tr("姓名"), QLabel(record.name))
        facts.addRow(self.tr("身份证号"), QLabel(record.id_number))
        facts.addRow(
            self.tr("性别 / 出生日期"), QLabel(f"{code_label('gender', record.gender)} / {record.birth_date}")
        )
        facts.addRow(self.tr("手机"), QLabel(record.phone or "—"))
        facts.addRow(self.tr("学校/单位"), QLabel(record.school_name))
        facts.addRow(self.tr("状态"), QLabel(vocab_label("EmploymentStatus", record.employment_status)))
        if record.cycle is not None:
            cycle = QLabel(record.cycle.summary())
            cycle.setWordWrap(True)
            facts.addRow(record.cycle_label, cycle)

        tabs = QTabWidget()
        self.enrollments = _table(
            [self.tr(h) for h in ("项目编号", "项目", "计划层级", "起止日期", "状态", "出勤", "说明")],
            [
                [
                    e.project_code,
                    e.project_name,
                    vocab_label("Program", e.program),
                    f"{e.start} – {e.end}",
                    vocab_label("EnrollmentStatus", e.status),
                    f"{e.sessions_attended}/{e.sessions_held}（{e.attendance_rate:.0%}）"
                    if e.attendance_rate is not None
                    else "—",
                    e.status_reason,
                ]
                for e in record.enrollments
            ],
            stretch=1,
        )
        self.credits = _table(
            [self.tr(h) for h in ("年度", "培训类别", "学时", "学分", "状态", "内容")],
            [
                [
                    str(c.year),
                    vocab_label("TrainingLevel", c.level),
                    f"{c.hours:g}",
                    f"{c.credits:g}",
                    vocab_label("CreditStatus", c.status),
                    c.description,
                ]
                for c in record.credits
            ],
            stretch=5,
        )
        self.integrity = _table(
            [self.tr(h) for h in ("类型", "项目", "限制参加国培至", "原因")],
            [
                [vocab_label("IntegrityKind", i.kind), i.project_name, str(i.ban_until), i.reason]
                for i in record.integrity
            ],
            stretch=3,
        )
        tabs.addTab(self.enrollments, self.tr("培训经历（{n}）").format(n=len(record.enrollments)))
        tabs.addTab(self.credits, self.tr("学分（{n}）").format(n=len(record.credits)))
        integrity_tab = self.integrity
        if (
            context is not None
            and record.integrity
            and context.read(access.may, Permission.CORRECT_INTEGRITY)
        ):
            # An appeal that succeeded, a data-entry error: an administrator corrects or annuls the
            # record with a written reason; the record as it was stays in the audit log, which the
            # province keeps.
            self.correct_button = QPushButton(self.tr("更正所选诚信档案…"))
            self.correct_button.clicked.connect(lambda: self.correct_selected())
            self.annul_button = QPushButton(self.tr("撤销所选诚信档案…"))
            self.annul_button.clicked.connect(lambda: self.annul_selected())
            integrity_tab = QWidget()
            box = QVBoxLayout(integrity_tab)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(self.integrity, 1)
            row = QHBoxLayout()
            row.addWidget(self.correct_button)
            row.addWidget(self.annul_button)
            row.addStretch(1)
            box.addLayout(row)
        tabs.addTab(integrity_tab, self.tr("诚信档案（{n}）").format(n=len(record.integrity)))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout()
        layout.addLayout(facts)
        layout.addWidget(tabs, 1)
        dialog_fit.lay_out(self, layout, buttons, preferred=QSize(980, 600))

    def correct_selected(
        self,
        *,
        kind: IntegrityKind | None = None,
        ban_until: dt.date | None = None,
        reason: str | None = None,
    ) -> bool:
        """Correct the selected integrity record's kind and end of ban, with a written reason (asked for,
        with the record's current values filled in, when not all given)."""
        rows = sorted({index.row() for index in self.integrity.selectionModel().selectedRows()})
        if self.context is None or not rows:
            return False
        line = self.record.integrity[rows[0]]
        if kind is None or ban_until is None or reason is None:
            dialog = IntegrityCorrectionDialog(self, line)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            kind, ban_until, reason = dialog.chosen()
        op = Op(self, self.context, integrity.correct, line.id, kind=kind, ban_until=ban_until, reason=reason)
        if not op.run():
            return False
        self.integrity.item(rows[0], 0).setText(kind.label)
        self.integrity.item(rows[0], 2).setText(str(ban_until))
        return True

    def annul_selected(self, reason: str | None = None) -> bool:
        """Annul the selected integrity record with a written reason (asked for when not given)."""
        rows = sorted({index.row() for index in self.integrity.selectionModel().selectedRows()})
        if self.context is None or not rows:
            return False
        line = self.record.integrity[rows[0]]
        if reason is None:
            reason, ok = QInputDialog.getMultiLineText(
                self,
                self.tr("撤销诚信档案"),
                self.tr("撤销的理由（如申诉成立、录入错误），将记入审计记录并报省级平台："),
            )
            if not ok:
                return False
        if not Op(self, self.context, integrity.annul, line.id, reason=reason).run():
            return False
        self.integrity.item(rows[0], 0).setText(self.tr("已撤销"))
        return True
