"""考勤 tab: attendance per trainee, online-learning hours imported, the summary exported."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QPushButton

from desktop.services import attendance_summary, online_hours
from desktop.services.attendance_summary import TraineeSummary
from desktop.services.projects import ProjectRow
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.preview_dialog import PreviewDialog, PreviewSpec
from desktop.ui.project_tab import ProjectTab
from desktop.ui.widgets import choose_spreadsheet, fill_table, read_only_table

HEADERS = (
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
    "迟到早退扣减学时",
)


class AttendanceTab(ProjectTab):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.summary_rows: list[TraineeSummary] = []
        self.table = read_only_table([self.tr(h) for h in HEADERS], stretch=1)
        online = QPushButton(self.tr("导入线上学时…"))
        online.clicked.connect(self.choose_online_hours_file)
        export = QPushButton(self.tr("导出考勤汇总…"))
        export.clicked.connect(self.choose_summary_file)
        buttons = FlowLayout()
        buttons.addWidget(online)
        buttons.addWidget(export)
        self.arrange(self.table, buttons)

    def show_project(self, project: ProjectRow) -> None:
        self.summary_rows = self.context.read(
            attendance_summary.project_summary, project.id, today=self.context.today()
        )
        fill_table(
            self.table,
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
                    f"{r.hours_lost_late_early:g}" if r.hours_lost_late_early else "",
                ]
                for r in self.summary_rows
            ],
            keys=[r.enrollment_id for r in self.summary_rows],
        )

    def choose_online_hours_file(self) -> None:
        path = choose_spreadsheet(self, self.tr("选择线上学习记录"))
        if path:
            self.import_online_hours(path)

    def import_online_hours(self, path: Path) -> PreviewDialog | None:
        return self.preview_file(path, self._online_hours_spec)

    def _online_hours_spec(self, project: ProjectRow, path: Path) -> PreviewSpec:
        preview = self.context.read(
            online_hours.preview_online_hours, project.id, path, today=self.context.today()
        )
        return PreviewSpec(
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
            apply=online_hours.apply_online_hours,
            apply_args=(preview,),
            done_message=self.tr("已登记 {n} 人次的线上学时。"),
            save_refused=lambda out: online_hours.save_refused(preview, out),
        )

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
        rows = self.context.read(attendance_summary.project_summary, project.id, today=self.context.today())
        count = attendance_summary.export_summary_xlsx(rows, out)
        self.context.inform(
            self, self.tr("导出考勤汇总"), self.tr("已导出 {n} 人到 {path}").format(n=count, path=out)
        )
        return count
