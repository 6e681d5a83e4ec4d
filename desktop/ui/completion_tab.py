"""结业 tab of a project: the proposal for each trainee with every reason; assessment and outcome
recorded; proposals confirmed, or overridden with a written reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QPushButton
from sqlalchemy.orm import Session

from desktop.domain.vocab import CompletionOutcome, EnrollmentStatus
from desktop.services import completion
from desktop.services.completion import CompletionLine
from desktop.services.projects import ProjectRow
from desktop.ui.project_tab import ACTOR, ProjectTab
from desktop.ui.widgets import fill_table, read_only_table, selected_keys


class CompletionTab(ProjectTab):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project_id: str | None = None
        self.lines: list[CompletionLine] = []
        self.table = read_only_table(
            [self.tr(h) for h in ("姓名", "学校/单位", "班级", "当前状态", "系统建议", "理由")],
            stretch=5,
            multi=True,
        )
        buttons = QHBoxLayout()
        for caption, slot in (
            (self.tr("成果已提交"), lambda: self.record(outcome_submitted=True)),
            (self.tr("考核合格"), lambda: self.record(passed=True)),
            (self.tr("考核不合格"), lambda: self.record(passed=False)),
            (self.tr("确认所选结论"), self.confirm_selected),
            (self.tr("改判…"), self.override_selected),
        ):
            button = QPushButton(caption)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.arrange(self.table, buttons)

    def show_project(self, project: ProjectRow) -> None:
        self.project_id = project_id = project.id
        with self.context.db.read() as session:
            self.lines = completion.proposals(session, project_id, today=self.context.today())
        fill_table(
            self.table,
            [
                [
                    line.name,
                    line.school,
                    line.class_name,
                    EnrollmentStatus(line.status).label,
                    line.proposal.outcome.label,
                    "；".join(reason.text for reason in line.proposal.reasons),
                ]
                for line in self.lines
            ],
            keys=[line.enrollment_id for line in self.lines],
        )
        for row, line in enumerate(self.lines):
            good = line.proposal.outcome == CompletionOutcome.COMPLETED
            self.table.item(row, 4).setForeground(QColor("#1e8449" if good else "#b03a2e"))

    def _decide(self, action: Callable[[Session], object]) -> bool:
        if not self._write({"enrollments", "completions", "integrity_records"}, action):
            return False
        project = self.current_project()
        if project is not None:
            self.show_project(project)
        return True

    def record(self, *, passed: bool | None = None, outcome_submitted: bool | None = None) -> bool:
        ids = selected_keys(self.table)
        return bool(ids) and self._decide(
            lambda s: completion.record_assessment(s, ids, passed=passed, outcome_submitted=outcome_submitted)
        )

    def confirm_selected(self) -> bool:
        ids, project_id = selected_keys(self.table), self.project_id
        if not ids or project_id is None:
            return False
        at, today = dt.datetime.now(), self.context.today()
        return self._decide(
            lambda s: completion.confirm(s, project_id, ids, decided_by=ACTOR, at=at, today=today)
        )

    def override_selected(self, outcome: CompletionOutcome | None = None, reason: str | None = None) -> bool:
        ids, project_id = selected_keys(self.table), self.project_id
        if not ids or project_id is None:
            return False
        if outcome is None:
            labels = [member.label for member in CompletionOutcome]
            label, ok = QInputDialog.getItem(self, self.tr("改判"), self.tr("结论："), labels, 0, False)
            if not ok:
                return False
            outcome = list(CompletionOutcome)[labels.index(label)]
        if reason is None:
            reason, ok = QInputDialog.getText(self, self.tr("改判"), self.tr("理由（将长期保存）："))
            if not ok:
                return False
        at, today = dt.datetime.now(), self.context.today()
        return self._decide(
            lambda s: completion.confirm(
                s,
                project_id,
                ids,
                decided_by=ACTOR,
                at=at,
                today=today,
                override=outcome,
                override_reason=reason,
            )
        )
