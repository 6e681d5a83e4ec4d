"""班级与课次 tab: the project's classes and sessions; add a class, schedule sessions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QPushButton, QSplitter

from desktop.services import projects
from desktop.services.projects import ProjectRow
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.project_tab import ProjectTab
from desktop.ui.schedule_dialog import ScheduleDialog
from desktop.ui.widgets import fill_table, read_only_table
from guopei_common.vocab import SessionFormat


class ClassesTab(ProjectTab):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.classes = read_only_table([self.tr(h) for h in ("班级", "班主任", "地点", "容量")], stretch=2)
        self.sessions = read_only_table(
            [self.tr(h) for h in ("日期", "时间", "学时", "形式", "班级", "内容")], stretch=5
        )
        add_class = QPushButton(self.tr("新增班级…"))
        add_class.clicked.connect(self.add_class)
        schedule = QPushButton(self.tr("排课…"))
        schedule.clicked.connect(self.schedule)
        buttons = FlowLayout()
        buttons.addWidget(add_class)
        buttons.addWidget(schedule)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.classes)
        splitter.addWidget(self.sessions)
        self.arrange(splitter, buttons)

    def show_project(self, project: ProjectRow) -> None:
        classes = self.context.read(projects.class_rows, project.id)
        sessions = self.context.read(projects.session_rows, project.id, today=self.context.today())
        fill_table(
            self.classes, [[n, t, v, str(c)] for _, n, t, v, c in classes], keys=[c[0] for c in classes]
        )
        fill_table(
            self.sessions,
            [
                [
                    f"{s.date}",
                    f"{s.start:%H:%M}–{s.end:%H:%M}",
                    f"{s.hours:g}",
                    SessionFormat(s.format).label + ("（须改为线上）" if s.flagged else ""),
                    s.class_name,
                    s.title,
                ]
                for s in sessions
            ],
            keys=[s.id for s in sessions],
        )

    def add_class(self) -> None:
        project = self.current_project()
        if project is None:
            return
        name, ok = QInputDialog.getText(
            self, self.tr("新增班级"), self.tr("班级名称："), text=self.tr("一班")
        )
        if not ok:
            return
        teacher, ok = QInputDialog.getText(self, self.tr("新增班级"), self.tr("班主任："))
        if not ok:
            return
        venue, ok = QInputDialog.getText(self, self.tr("新增班级"), self.tr("培训地点："))
        if ok:
            self._change(
                projects.add_class,
                project.id,
                name=name,
                class_teacher=teacher,
                venue=venue,
                capacity=project.quota,
            )

    def schedule(self) -> None:
        project = self.current_project()
        if project is None:
            return
        classes = [(c[0], c[1]) for c in self.context.read(projects.class_rows, project.id)]
        if not classes:
            self.context.inform(self, self.tr("排课"), self.tr("请先新增班级。"))
            return
        dialog = ScheduleDialog(
            self, classes=classes, first_day=max(project.start_date, self.context.today())
        )
        if dialog.exec():
            request = dialog.request()
            self._change(projects.schedule_sessions, **request)
