"""精准遴选 tab: eligible candidates first, the uncovered rural teachers and poverty-area principals
marked and ranked first (三.), each with the engine's reasons; enroll the top N or pick by hand."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QInputDialog, QLabel, QPushButton, QSpinBox

from desktop.services import selection
from desktop.services.projects import ProjectRow
from desktop.services.selection import Candidate
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.project_tab import ACTOR, ProjectTab
from desktop.ui.widgets import fill_table, read_only_table, selected_keys


class CandidatesTab(ProjectTab):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.found: list[Candidate] = []
        self.table = read_only_table(
            [self.tr(h) for h in ("姓名", "学校/单位", "乡镇", "优先", "上次结业", "资格", "理由")],
            stretch=6,
            multi=True,
        )
        self.top_n = QSpinBox(minimum=1, maximum=10_000, value=10)
        pick_top = QPushButton(self.tr("报名前 N 名符合条件者"))
        pick_top.clicked.connect(self.enroll_top)
        pick = QPushButton(self.tr("报名所选"))
        pick.clicked.connect(lambda: self.enroll_teachers(selected_keys(self.table)))
        override = QPushButton(self.tr("破格报名所选…"))
        override.clicked.connect(self.override_selected)
        buttons = FlowLayout()
        for widget in (QLabel("N ="), self.top_n, pick_top, pick, override):
            buttons.addWidget(widget)
        self.arrange(self.table, buttons)

    def show_project(self, project: ProjectRow) -> None:
        self.found = self.context.read(selection.candidates, project.id, limit=500)
        fill_table(
            self.table,
            [
                [
                    c.name,
                    c.school_name,
                    c.township,
                    "★" if c.priority else "",
                    f"{c.last_training_end:%Y-%m}" if c.last_training_end else self.tr("从未"),
                    self.tr("符合") if c.decision.eligible else self.tr("不符合"),
                    c.decision.summary(),
                ]
                for c in self.found
            ],
            keys=[c.teacher_id for c in self.found],
        )

    def enroll_teachers(self, teacher_ids: list[str], override_reason: str = "") -> bool:
        project = self.current_project()
        if project is None or not teacher_ids:
            return False
        return self._change(
            selection.enroll_all,
            teacher_ids=teacher_ids,
            project_id=project.id,
            actor=ACTOR,
            at=dt.datetime.now(),
            override_reason=override_reason,
        )

    def enroll_top(self) -> bool:
        eligible = [c.teacher_id for c in self.found if c.decision.eligible]
        return self.enroll_teachers(eligible[: self.top_n.value()])

    def override_selected(self) -> None:
        reason, ok = QInputDialog.getText(self, self.tr("破格报名"), self.tr("破格理由（将长期保存）："))
        if ok and reason.strip():
            self.enroll_teachers(selected_keys(self.table), override_reason=reason.strip())
