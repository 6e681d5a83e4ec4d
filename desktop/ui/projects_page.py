"""培训项目: projects with their trainees (two-way selection), precise selection, classes and sessions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.vocab import (
    DeliveryMode,
    EnrollmentStatus,
    Program,
    ProjectStatus,
    ProjectType,
    SessionFormat,
)
from desktop.errors import GuopeiError, UserInputError
from desktop.services import attendance_summary, online_hours, projects, selection
from desktop.services.application_import import apply_applications, preview_applications
from desktop.services.projects import ProjectForm, ProjectRow
from desktop.services.selection_documents import WrittenDocuments, write_selection_documents
from desktop.ui.completion_tab import CompletionTab
from desktop.ui.context import AppContext, Changes
from desktop.ui.preview_dialog import PreviewDialog, PreviewSpec
from desktop.ui.project_dialog import ProjectDialog
from desktop.ui.schedule_dialog import ScheduleDialog
from desktop.ui.tasks import Reporter
from desktop.ui.widgets import fill_table, read_only_table, selected_keys

ACTOR = "县教师发展中心"
# The buttons of the trainee list: (label, target status).
STEPS = [
    ("录取", EnrollmentStatus.ADMITTED),
    ("审核通过", EnrollmentStatus.APPROVED),
    ("报到参训", EnrollmentStatus.ATTENDING),
    ("未报到…", EnrollmentStatus.NO_SHOW),
    ("劝退…", EnrollmentStatus.DISMISSED),
    ("特殊原因退训…", EnrollmentStatus.WITHDRAWN),
]


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
        self.trainees = read_only_table(
            [self.tr(h) for h in ("姓名", "身份证号", "学校/单位", "班级", "状态", "说明")],
            stretch=5,
            multi=True,
        )
        trainee_buttons = QHBoxLayout()
        for label, status in STEPS:
            button = QPushButton(self.tr(label))
            button.clicked.connect(lambda _=False, s=status: self.step_selected(s))
            trainee_buttons.addWidget(button)
        publicise = QPushButton(self.tr("公示…"))
        publicise.clicked.connect(self.publicise)
        trainee_buttons.addWidget(publicise)
        applications = QPushButton(self.tr("导入报名名单…"))
        applications.clicked.connect(self.choose_applications_file)
        trainee_buttons.addWidget(applications)
        documents = QPushButton(self.tr("导出公示名单和参训通知…"))
        documents.clicked.connect(self.choose_documents_folder)
        trainee_buttons.addWidget(documents)
        trainee_buttons.addStretch(1)
        self.tabs.addTab(_column(self.trainees, trainee_buttons), self.tr("学员"))

        self.candidates = read_only_table(
            [self.tr(h) for h in ("姓名", "学校/单位", "乡镇", "优先", "上次结业", "资格", "理由")],
            stretch=6,
            multi=True,
        )
        self.top_n = QSpinBox(minimum=1, maximum=10_000, value=10)
        pick_top = QPushButton(self.tr("报名前 N 名符合条件者"))
        pick_top.clicked.connect(self.enroll_top)
        pick = QPushButton(self.tr("报名所选"))
        pick.clicked.connect(lambda: self.enroll_teachers(selected_keys(self.candidates)))
        override = QPushButton(self.tr("破格报名所选…"))
        override.clicked.connect(self.override_selected)
        candidate_buttons = QHBoxLayout()
        for widget in (QLabel("N ="), self.top_n, pick_top, pick, override):
            candidate_buttons.addWidget(widget)
        candidate_buttons.addStretch(1)
        self.tabs.addTab(_column(self.candidates, candidate_buttons), self.tr("精准遴选"))

        self.classes = read_only_table([self.tr(h) for h in ("班级", "班主任", "地点", "容量")], stretch=2)
        self.sessions = read_only_table(
            [self.tr(h) for h in ("日期", "时间", "学时", "形式", "班级", "内容")], stretch=5
        )
        add_class = QPushButton(self.tr("新增班级…"))
        add_class.clicked.connect(self.add_class)
        schedule = QPushButton(self.tr("排课…"))
        schedule.clicked.connect(self.schedule)
        schedule_buttons = QHBoxLayout()
        schedule_buttons.addWidget(add_class)
        schedule_buttons.addWidget(schedule)
        schedule_buttons.addStretch(1)
        schedule_box = QSplitter(Qt.Orientation.Vertical)
        schedule_box.addWidget(self.classes)
        schedule_box.addWidget(self.sessions)
        self.tabs.addTab(_column(schedule_box, schedule_buttons), self.tr("班级与课次"))

        self.attendance = read_only_table(
            [
                self.tr(h)
                for h in (
                    "姓名",
                    "学校/单位",
                    "班级",
                    "已上课次",
                    "出勤",
                    "出勤率",
                    "出勤学时",
                    "应修学时",
                    "缺勤",
                    "请假",
                    "迟到",
                )
            ],
            stretch=1,
        )
        online = QPushButton(self.tr("导入线上学时…"))
        online.clicked.connect(self.choose_online_hours_file)
        export = QPushButton(self.tr("导出考勤汇总…"))
        export.clicked.connect(self.choose_summary_file)
        attendance_buttons = QHBoxLayout()
        attendance_buttons.addWidget(online)
        attendance_buttons.addWidget(export)
        attendance_buttons.addStretch(1)
        self.tabs.addTab(_column(self.attendance, attendance_buttons), self.tr("考勤"))
        self.completion = CompletionTab(context)
        self.tabs.addTab(self.completion, self.tr("结业"))
        self.tabs.currentChanged.connect(self.show_project)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
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
        with self.context.db.read() as session:
            years = sorted({row.start_date.year for row in projects.project_rows(session)}, reverse=True)
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
        with self.context.db.read() as session:
            self.rows = projects.project_rows(session, year=self.year.currentData())
            suspended = projects.offline_suspended(session)
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
        self.table.selectRow(ids.index(current.id) if current and current.id in ids else 0)
        self.show_project()

    def current_project(self) -> ProjectRow | None:
        keys = selected_keys(self.table) if self.table.selectionModel() else []
        return next((r for r in self.rows if keys and r.id == keys[0]), None)

    def show_project(self) -> None:
        project = self.current_project()
        self.next_status.setVisible(
            bool(project and project.owner == "county" and project.status != "finished")
        )
        if project and project.status != "finished":
            following = list(ProjectStatus)[list(ProjectStatus).index(ProjectStatus(project.status)) + 1]
            self.next_status.setText(self.tr("状态改为“{s}”").format(s=following.label))
        if project is None:
            for table in (self.trainees, self.candidates, self.classes, self.sessions):
                table.setRowCount(0)
            return
        tab = self.tabs.currentIndex()
        with self.context.db.read() as session:
            if tab == 0:
                rows = selection.enrollment_rows(session, project.id)
                fill_table(
                    self.trainees,
                    [
                        [
                            r.name,
                            r.masked_id_number,
                            r.school_name,
                            r.class_name,
                            EnrollmentStatus(r.status).label,
                            "；".join(
                                x
                                for x in (r.status_reason, r.override_reason and f"破格：{r.override_reason}")
                                if x
                            ),
                        ]
                        for r in rows
                    ],
                    keys=[r.id for r in rows],
                )
            elif tab == 1:
                found = selection.candidates(session, project.id, limit=500)
                fill_table(
                    self.candidates,
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
                        for c in found
                    ],
                    keys=[c.teacher_id for c in found],
                )
                self.found = found
            elif tab == 4:
                self.completion.show_project(project.id)
            elif tab == 3:
                self.summary_rows = attendance_summary.project_summary(
                    session, project.id, today=self.context.today()
                )
                fill_table(
                    self.attendance,
                    [
                        [
                            r.name,
                            r.school,
                            r.class_name,
                            str(r.sessions_held),
                            str(r.sessions_attended),
                            "—" if r.attendance_rate is None else f"{r.attendance_rate:.0%}",
                            f"{r.hours_attended:g}",
                            f"{r.hours_scheduled:g}",
                            str(r.absences),
                            str(r.excused),
                            str(r.late),
                        ]
                        for r in self.summary_rows
                    ],
                    keys=[r.enrollment_id for r in self.summary_rows],
                )
            else:
                classes = projects.class_rows(session, project.id)
                fill_table(
                    self.classes,
                    [[n, t, v, str(c)] for _, n, t, v, c in classes],
                    keys=[c[0] for c in classes],
                )
                sessions = projects.session_rows(session, project.id, today=self.context.today())
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

    # --- project actions ----------------------------------------------------------------------
    def _write(self, tables: set[str], action) -> bool:
        try:
            with self.context.db.write() as session:
                action(session)
        except (ValueError, GuopeiError) as error:
            self.context.report_error(self, error)
            return False
        self.context.announce(Changes(frozenset(tables)))
        return True

    def new_project(self) -> None:
        county = self.context.db.device.county_code

        def save(form: ProjectForm) -> None:
            with self.context.db.write() as session:
                projects.create_project(session, form, county_code=county)

        if ProjectDialog(self, save=save, initial=None, today=self.context.today()).exec():
            self.context.announce(Changes(frozenset({"projects"})))

    def edit_project(self) -> None:
        project = self.current_project()
        if project is None:
            return
        if project.owner == "province":
            self.context.report_error(self, projects.ProjectReadOnly(project.name))
            return
        with self.context.db.read() as session:
            initial = projects.form_of(session, project.id)

        def save(form: ProjectForm) -> None:
            with self.context.db.write() as session:
                projects.update_project(session, project.id, form)

        if ProjectDialog(self, save=save, initial=initial, today=self.context.today()).exec():
            self.context.announce(Changes(frozenset({"projects"})))

    def advance_project(self) -> None:
        project = self.current_project()
        if project is None or project.status == "finished":
            return
        following = list(ProjectStatus)[list(ProjectStatus).index(ProjectStatus(project.status)) + 1]
        self._write({"projects"}, lambda s: projects.set_status(s, project.id, following))

    # --- trainees -----------------------------------------------------------------------------
    def step_selected(self, status: EnrollmentStatus, reason: str | None = None) -> bool:
        ids = selected_keys(self.trainees)
        if not ids:
            return False
        if reason is None and status in (
            EnrollmentStatus.NO_SHOW,
            EnrollmentStatus.DISMISSED,
            EnrollmentStatus.WITHDRAWN,
        ):
            reason, ok = QInputDialog.getText(
                self, self.tr(status.label), self.tr("原因（将记入状态历史，并告知选派学校）：")
            )
            if not ok:
                return False
        at = dt.datetime.now()
        return self._write(
            {"enrollments", "integrity_records"},
            lambda s: selection.advance(s, ids, status, actor=ACTOR, at=at, reason=reason or ""),
        )

    def publicise(self, days: int | None = None) -> bool:
        project = self.current_project()
        if project is None:
            return False
        if days is None:
            days, ok = QInputDialog.getInt(self, self.tr("公示"), self.tr("公示期（天）："), 5, 1, 30)
            if not ok:
                return False
        start = self.context.today()
        at = dt.datetime.now()

        def action(session) -> None:
            projects.set_publicity(session, project.id, start, start + dt.timedelta(days=days - 1))
            approved = [
                r.id for r in selection.enrollment_rows(session, project.id) if r.status == "approved"
            ]
            if not approved:
                raise UserInputError("没有“已审核”的学员可以公示：请先录取并审核通过")
            selection.advance(session, approved, EnrollmentStatus.PUBLICISED, actor=ACTOR, at=at)

        return self._write({"enrollments", "projects"}, action)

    # --- precise selection --------------------------------------------------------------------
    def enroll_teachers(self, teacher_ids: list[str], override_reason: str = "") -> bool:
        project = self.current_project()
        if project is None or not teacher_ids:
            return False
        at = dt.datetime.now()

        def action(session) -> None:
            for teacher_id in teacher_ids:
                selection.enroll(
                    session,
                    teacher_id=teacher_id,
                    project_id=project.id,
                    actor=ACTOR,
                    at=at,
                    override_reason=override_reason,
                )

        return self._write({"enrollments"}, action)

    def enroll_top(self) -> bool:
        eligible = [c.teacher_id for c in getattr(self, "found", []) if c.decision.eligible]
        return self.enroll_teachers(eligible[: self.top_n.value()])

    def override_selected(self) -> None:
        reason, ok = QInputDialog.getText(self, self.tr("破格报名"), self.tr("破格理由（将长期保存）："))
        if ok and reason.strip():
            self.enroll_teachers(selected_keys(self.candidates), override_reason=reason.strip())

    # --- classes and sessions -----------------------------------------------------------------
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
            self._write(
                {"training_classes"},
                lambda s: projects.add_class(
                    s, project.id, name=name, class_teacher=teacher, venue=venue, capacity=project.quota
                ),
            )

    def schedule(self) -> None:
        project = self.current_project()
        if project is None:
            return
        with self.context.db.read() as session:
            classes = [(c[0], c[1]) for c in projects.class_rows(session, project.id)]
        if not classes:
            self.context.inform(self, self.tr("排课"), self.tr("请先新增班级。"))
            return
        dialog = ScheduleDialog(
            self, classes=classes, first_day=max(project.start_date, self.context.today())
        )
        if dialog.exec():
            request = dialog.request()
            self._write({"training_sessions"}, lambda s: projects.schedule_sessions(s, **request))

    # --- applications from the schools' lists --------------------------------------------------
    def choose_applications_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择报名名单"), "", self.tr("表格文件 (*.xlsx *.xls *.csv);;所有文件 (*)")
        )
        if chosen:
            self.import_applications(Path(chosen))

    def import_applications(self, path: Path) -> PreviewDialog | None:
        project = self.current_project()
        if project is None:
            return None
        try:
            with self.context.db.read() as session:
                preview = preview_applications(session, project.id, path, today=self.context.today())
        except GuopeiError as error:
            self.context.report_error(self, error)
            return None
        at = dt.datetime.now()
        spec = PreviewSpec(
            title=self.tr("导入报名名单 — {name}").format(name=preview.project_name),
            summary=preview.summary(),
            headers=("行号", "姓名", "身份证号", "结果", "原因"),
            rows=[
                (
                    [
                        str(r.row),
                        r.name,
                        r.masked_id_number,
                        self.tr("报名") if r.accepted else self.tr("拒绝"),
                        "；".join(r.problems),
                    ],
                    r.accepted,
                )
                for r in preview.rows
            ],
            apply_label=self.tr("报名 {n} 人").format(n=len(preview.accepted)),
            apply=lambda session: apply_applications(session, preview, actor=ACTOR, at=at),
            done_message=self.tr("已报名 {n} 人。"),
            changes=frozenset({"enrollments"}),
        )
        dialog = PreviewDialog(self, self.context, spec)
        dialog.open()
        return dialog

    # --- attendance --------------------------------------------------------------------------
    def choose_online_hours_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择线上学习记录"), "", self.tr("表格文件 (*.xlsx *.xls *.csv);;所有文件 (*)")
        )
        if chosen:
            self.import_online_hours(Path(chosen))

    def import_online_hours(self, path: Path) -> PreviewDialog | None:
        project = self.current_project()
        if project is None:
            return None
        try:
            with self.context.db.read() as session:
                preview = online_hours.preview_online_hours(
                    session, project.id, path, today=self.context.today()
                )
        except GuopeiError as error:
            self.context.report_error(self, error)
            return None
        spec = PreviewSpec(
            title=self.tr("导入线上学时 — {name}").format(name=preview.project_name),
            summary=preview.summary(),
            headers=("行号", "姓名", "身份证号", "课次日期", "学时", "结果", "原因/说明"),
            rows=[
                (
                    [
                        str(r.row),
                        r.name,
                        r.masked_id_number,
                        str(r.session_date or ""),
                        f"{r.hours:g}",
                        self.tr("登记") if r.action == "record" else self.tr("拒绝"),
                        r.reason or r.note,
                    ],
                    r.action == "record",
                )
                for r in preview.rows
            ],
            apply_label=self.tr("登记 {n} 人次").format(n=len(preview.credits)),
            apply=lambda session: online_hours.apply_online_hours(session, preview),
            done_message=self.tr("已登记 {n} 人次的线上学时。"),
            changes=frozenset({"attendance"}),
            save_refused=lambda out: online_hours.save_refused(preview, out),
        )
        dialog = PreviewDialog(self, self.context, spec)
        dialog.open()
        return dialog

    def choose_summary_file(self) -> None:
        project = self.current_project()
        if project is None:
            return
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出考勤汇总"), f"{project.code}-考勤汇总.xlsx", "Excel (*.xlsx)"
        )
        if chosen:
            self.export_summary(Path(chosen))

    def export_summary(self, out: Path) -> int:
        project = self.current_project()
        if project is None:
            return 0
        with self.context.db.read() as session:
            rows = attendance_summary.project_summary(session, project.id, today=self.context.today())
        count = attendance_summary.export_summary_xlsx(rows, out)
        self.context.inform(
            self, self.tr("导出考勤汇总"), self.tr("已导出 {n} 人到 {path}").format(n=count, path=out)
        )
        return count

    # --- documents ----------------------------------------------------------------------------
    def choose_documents_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("保存到文件夹"))
        if folder:
            self.write_documents(Path(folder))

    def write_documents(self, folder: Path) -> None:
        project = self.current_project()
        if project is None:
            return
        db, county, today = self.context.db, self.context.db.device.county_name, self.context.today()

        def work(_reporter: Reporter) -> WrittenDocuments:
            with db.read() as session:
                return write_selection_documents(session, project.id, folder, county_name=county, today=today)

        def done(written: WrittenDocuments) -> None:
            names = "\n".join(path.name for path in written.files)
            self.context.inform(
                self,
                self.tr("导出"),
                self.tr("已为 {s} 所学校的 {n} 名学员生成：\n{files}\n保存在 {folder}").format(
                    s=written.schools, n=written.trainees, files=names, folder=folder
                ),
            )

        self.context.runner.run(
            self,
            title=self.tr("正在生成文件…"),
            work=work,
            on_done=done,
            on_error=lambda error: self.context.report_error(self, error),
        )


def _column(main: QWidget, buttons: QHBoxLayout) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 6, 0, 0)
    layout.addWidget(main, 1)
    layout.addLayout(buttons)
    return holder
