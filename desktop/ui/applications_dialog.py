"""导入报名名单: a school's list of applicants, checked against the roster and the rules first."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.errors import GuopeiError
from desktop.services.application_import import ApplicationPreview, apply_applications
from desktop.ui.context import AppContext, Changes
from desktop.ui.widgets import fill_table, read_only_table


class ApplicationsDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, context: AppContext, preview: ApplicationPreview, *, actor: str
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.preview = preview
        self.actor = actor
        self.setWindowTitle(self.tr("导入报名名单 — {name}").format(name=preview.project_name))
        self.resize(980, 560)
        summary = QLabel(preview.summary())
        summary.setObjectName("sectionTitle")
        self.table = read_only_table(
            [self.tr(h) for h in ("行号", "姓名", "身份证号", "结果", "原因")], stretch=4
        )
        fill_table(
            self.table,
            [
                [
                    str(r.row),
                    r.name,
                    r.masked_id_number,
                    self.tr("报名") if r.accepted else self.tr("拒绝"),
                    "；".join(r.problems),
                ]
                for r in preview.rows
            ],
        )
        for row, application in enumerate(preview.rows):
            colour = QColor("#e8f6ec" if application.accepted else "#fdecea")
            for column in range(self.table.columnCount()):
                self.table.item(row, column).setBackground(colour)
        self.apply_button = QPushButton(self.tr("报名 {n} 人").format(n=len(preview.accepted)))
        self.apply_button.setEnabled(bool(preview.accepted))
        self.apply_button.clicked.connect(self.apply)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def apply(self) -> None:
        try:
            with self.context.db.write() as session:
                count = apply_applications(session, self.preview, actor=self.actor, at=dt.datetime.now())
        except (ValueError, GuopeiError) as error:  # e.g. the roster changed since the preview
            self.context.report_error(self, error)
            return
        self.context.announce(Changes(frozenset({"enrollments"})))
        self.context.inform(self, self.tr("导入报名名单"), self.tr("已报名 {n} 人。").format(n=count))
        self.accept()
