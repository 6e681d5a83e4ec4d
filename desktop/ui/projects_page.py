"""培训项目: projects with their trainees (two-way selection), precise selection, classes and sessions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services import projects
from desktop.services.projects import ProjectForm, ProjectRow
from desktop.ui.attendance_tab import AttendanceTab
from desktop.ui.candidates_tab import CandidatesTab
from desktop.ui.classes_tab import ClassesTab
from desktop.ui.completion_tab import CompletionTab
from desktop.ui.context import AppContext, Changes
from desktop.ui.operations import Op
from desktop.ui.project_dialog import ProjectDialog
from desktop.ui.trainees_tab import TraineesTab
from desktop.ui.widgets import EmptyOr, EmptyState, fill_table, read_only_table, selected_keys
from guopei_common.vocab import (
    DeliveryMode,
    Program,
    ProjectStatus,
    ProjectType,
)


class ProjectsPage(QWidget):
    WATCHED = ("projects", "enrollments", "training_classes", "training_sessions", "teachers")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[ProjectRow] = []

        title = QLabel(self.tr("培训项目"))
        title.setObjectName("pageTitle")
        self.policy_banner = QLabel(
            self.tr(
                "⚠ 省级平台已开启“疫情防控期间暂停线下集中培训”：不能安排面授课次，已排的面授课次标为红色"
            )
        )
        self.policy_banner.setStyleSheet("color: #b03a2e; font-weight: bold;")
        self.year = QComboBox()
        self.year.currentIndexChanged.connect(self.reload)
        new = QPushButton(self.tr("新建项目（Ctrl+N）"))
        new.clicked.connect(self.new_project)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.new_project)
        edit = QPushButton(self.tr("编辑项目"))
        edit.clicked.connect(self.edit_project)
        self.next_status = QPushButton()
        self.next_status.clicked.connect(self.advance_project)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel(self.tr("年度")))
        top.addWidget(self.year)
        top.addWidget(new)
        top.addWidget(edit)
        top.addWidget(self.next_status)

        self.table = read_only_table(
            [
                self.tr(h)
                for h in (
                    "编号",
                    "项目名称",
                    "计划层级",
                    "类型",
                    "方式",
                    "起止日期",
                    "学时",
                    "录取/名额",
                    "报名",
                    "状态",
                    "来源",
                )
            ],
            stretch=1,
        )
        self.table.itemSelectionChanged.connect(self.show_project)

        self.tabs = QTabWidget()
        tabs = (
            (TraineesTab, "学员"),
            (CandidatesTab, "精准遴选"),
            (ClassesTab, "班级与课次"),
            (AttendanceTab, "考勤"),
            (CompletionTab, "结业"),
        )
        for tab_class, caption in tabs:
            self.tabs.addTab(tab_class(context, self.current_project), self.tr(caption))
        self.trainees_tab, self.candidates_tab, self.classes_tab, self.attendance_tab, self.completion_tab = (
            self.tabs.widget(i) for i in range(len(tabs))
        )
        self.tabs.currentChanged.connect(self.show_project)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.list_area = EmptyOr(
            self.table,
            EmptyState(
                self.tr("还没有培训项目"),
                self.tr(
                    "本县自己组织的县培、校本研修在这里新建；国培、省培、市培项目由省级平台发布，"
                    "连接省级平台同步后出现在列表中。"
                ),
                [(self.tr("新建项目…"), self.new_project)],
            ),
        )
        splitter.addWidget(self.list_area)
        splitter.addWidget(self.tabs)
        splitter.setSizes([260, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addWidget(self.policy_banner)
        layout.addWidget(splitter, 1)
        context.changed.connect(self.on_changes)
        self._fill_years()
        self.reload()

    # --- the project list ---------------------------------------------------------------------
    def _fill_years(self) -> None:
        years = sorted(
            {row.start_date.year for row in self.context.read(projects.project_rows)}, reverse=True
        )
        self.year.blockSignals(True)
        self.year.addItem(self.tr("全部"), None)
        for year in years:
            self.year.addItem(str(year), year)
        self.year.setCurrentIndex(max(self.year.findData(self.context.today().year), 0))
        self.year.blockSignals(False)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*self.WATCHED):
            self.reload()

    def reload(self) -> None:
        current = self.current_project()
        self.rows = self.context.read(projects.project_rows, year=self.year.currentData())
        suspended = self.context.read(projects.offline_suspended)
        self.policy_banner.setVisible(suspended)
        fill_table(
            self.table,
            [
                [
                    r.code,
                    r.name,
                    Program(r.program).label,
                    ProjectType(r.project_type).label,
                    DeliveryMode(r.mode).label,
                    f"{r.start_date:%m-%d}–{r.end_date:%m-%d}",
                    f"{r.hours:g}",
                    f"{r.seats_taken}/{r.quota}",
                    str(r.applicants),
                    ProjectStatus(r.status).label,
                    self.tr("省级") if r.owner == "province" else self.tr("本县"),
                ]
                for r in self.rows
            ],
            keys=[r.id for r in self.rows],
        )
        ids = [r.id for r in self.rows]
        self.list_area.show_empty(not ids and self.year.currentData() is None)
        self.tabs.setVisible(bool(ids))
        self.table.selectRow(ids.index(current.id) if current and current.id in ids else 0)
        self.show_project()

    def current_project(self) -> ProjectRow | None:
        keys = selected_keys(self.table) if self.table.selectionModel() else []
        return next((r for r in self.rows if keys and r.id == keys[0]), None)

    def show_project(self) -> None:
        project = self.current_project()
        editable = bool(project and project.owner == "county" and project.status != "finished")
        self.next_status.setVisible(editable)
        if project is not None and editable:
            following = list(ProjectStatus)[list(ProjectStatus).index(ProjectStatus(project.status)) + 1]
            self.next_status.setText(self.tr("状态改为“{s}”").format(s=following.label))
        if project is not None:
            self.tabs.currentWidget().show_project(project)

    # --- project actions ----------------------------------------------------------------------
    def new_project(self) -> ProjectDialog:
        county = self.context.db.device.county_code
        created: list[str] = []

        def save(form: ProjectForm) -> None:
            created.append(
                Op(self, self.context, projects.create_project, form, county_code=county).run_or_raise()
            )

        dialog = ProjectDialog(self, save=save, initial=None, today=self.context.today())
        dialog.accepted.connect(lambda: self.select_project(created[-1]))
        dialog.open()
        return dialog

    def select_project(self, project_id: str) -> None:
        """Show a project in the list (a new one: in its year, selected, its tabs beside it)."""
        if all(row.id != project_id for row in self.rows):
            self.year.setCurrentIndex(0)  # 全部: the list reloads with every year
        ids = [row.id for row in self.rows]
        if project_id in ids:
            self.table.selectRow(ids.index(project_id))
            self.table.scrollToItem(self.table.item(ids.index(project_id), 0))
            self.table.setFocus()

    def edit_project(self) -> None:
        project = self.current_project()
        if project is None:
            return
        if project.owner == "province":
            self.context.report_error(self, projects.ProjectReadOnly(project.name))
            return
        initial = self.context.read(projects.form_of, project.id)

        def save(form: ProjectForm) -> None:
            Op(self, self.context, projects.update_project, project.id, form).run_or_raise()

        ProjectDialog(self, save=save, initial=initial, today=self.context.today()).exec()

    def advance_project(self) -> None:
        project = self.current_project()
        if project is None or project.status == "finished":
            return
        following = list(ProjectStatus)[list(ProjectStatus).index(ProjectStatus(project.status)) + 1]
        Op(self, self.context, projects.set_status, project.id, following).run()
