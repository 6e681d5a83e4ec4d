"""结业 tab of a project: the proposal for each trainee with every reason; assessment and outcome
recorded; proposals confirmed, or overridden with a written reason, after saying what will be written
(integrity records in 国培) and asking once; a decision not yet synced taken back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QInputDialog, QLabel, QPushButton

from desktop.errors import GuopeiError
from desktop.services import completion
from desktop.services.completion import CompletionLine
from desktop.services.projects import ProjectRow
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.project_tab import ACTOR, ProjectTab
from desktop.ui.widgets import fill_table, read_only_table, selected_keys
from guopei_common.vocab import CompletionOutcome, EnrollmentStatus


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
        buttons = FlowLayout()
        self.decide_buttons: list[QPushButton] = []
        for caption, slot in (
            (self.tr("成果已提交"), lambda: self.record(outcome_submitted=True)),
            (self.tr("考核合格"), lambda: self.record(passed=True)),
            (self.tr("考核不合格"), lambda: self.record(passed=False)),
            (self.tr("确认所选结论"), self.confirm_selected),
            (self.tr("改判…"), self.override_selected),
            (self.tr("撤销所选结论"), self.undo_selected),
        ):
            button = QPushButton(caption)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            if slot in (self.confirm_selected, self.override_selected):
                self.decide_buttons.append(button)
        # Why the decision buttons are off while the project runs (the service refuses it too).
        self.too_early = QLabel()
        self.too_early.setObjectName("emptyNote")
        buttons.addWidget(self.too_early)
        self.arrange(self.table, buttons)

    def show_project(self, project: ProjectRow) -> None:
        self.project_id = project_id = project.id
        now = self.context.now()
        self.lines = self.context.read(completion.proposals, project_id, now=now)
        last = self.context.read(completion.last_session_end, project_id)
        running = now < last
        for button in self.decide_buttons:
            button.setEnabled(not running)
        self.too_early.setVisible(running)
        self.too_early.setText(
            self.tr("最后一次课 {when} 结束后才能确认结业；此前只计已上的课").format(
                when=f"{last:%Y年%m月%d日 %H:%M}"
            )
        )
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

    def _decide(self, work: Callable[..., object], /, *args: Any, **kwargs: Any) -> bool:
        if not self._change(work, *args, **kwargs):
            return False
        project = self.current_project()
        if project is not None:
            self.show_project(project)
        return True

    def record(self, *, passed: bool | None = None, outcome_submitted: bool | None = None) -> bool:
        ids = selected_keys(self.table)
        return bool(ids) and self._decide(
            completion.record_assessment, ids, passed=passed, outcome_submitted=outcome_submitted
        )

    def _confirm(
        self, ids: list[str], override: CompletionOutcome | None = None, override_reason: str = ""
    ) -> bool:
        """Say what the decision will write and ask once; refusals (too early, already decided) are
        shown instead of the question."""
        project_id, at = self.project_id, self.context.now()
        assert project_id is not None
        try:
            plan = self.context.read(
                completion.plan, project_id, ids, now=at, override=override, override_reason=override_reason
            )
        except GuopeiError as error:
            self.context.report_error(self, error)
            return False
        if not self.context.confirm(self, self.tr("确认结业结论"), plan.text(), self.tr("确认结论")):
            return False
        return self._decide(
            completion.confirm,
            project_id,
            ids,
            decided_by=ACTOR,
            at=at,
            override=override,
            override_reason=override_reason,
        )

    def confirm_selected(self) -> bool:
        ids = selected_keys(self.table)
        if not ids or self.project_id is None:
            return False
        return self._confirm(ids)

    def override_selected(self, outcome: CompletionOutcome | None = None, reason: str | None = None) -> bool:
        ids = selected_keys(self.table)
        if not ids or self.project_id is None:
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
        return self._confirm(ids, outcome, reason)

    def undo_selected(self) -> bool:
        ids = selected_keys(self.table)
        if not ids:
            return False
        text = self.tr("将撤销 {n} 人尚未同步的结业结论（及其诚信档案），恢复为“参训中”。").format(n=len(ids))
        if not self.context.confirm(self, self.tr("撤销结业结论"), text, self.tr("撤销结论")):
            return False
        return self._decide(completion.undo, ids, actor=ACTOR, at=self.context.now())
