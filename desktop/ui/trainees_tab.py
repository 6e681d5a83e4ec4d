"""学员 tab: the project's trainees through two-way selection, applications from a school's list,
and the publicity list and school notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QPushButton

from desktop.domain.enrollment_flow import INTEGRITY
from desktop.services import selection
from desktop.services.application_import import apply_applications, preview_applications
from desktop.services.projects import ProjectRow
from desktop.services.selection_documents import WrittenDocuments, write_selection_documents
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.operations import Op
from desktop.ui.preview_dialog import PreviewDialog, PreviewSpec
from desktop.ui.project_tab import ACTOR, ProjectTab
from desktop.ui.widgets import choose_spreadsheet, fill_table, read_only_table, selected_keys
from guopei_common.vocab import EnrollmentStatus, Program

# The buttons of the trainee list: (label, target status).
STEPS = [
    ("录取", EnrollmentStatus.ADMITTED),
    ("审核通过", EnrollmentStatus.APPROVED),
    ("报到参训", EnrollmentStatus.ATTENDING),
    ("未报到…", EnrollmentStatus.NO_SHOW),
    ("劝退…", EnrollmentStatus.DISMISSED),
    ("特殊原因退训…", EnrollmentStatus.WITHDRAWN),
]
# Steps with no way back: said in full and asked once before they are written.
FINAL_STEPS = (EnrollmentStatus.NO_SHOW, EnrollmentStatus.DISMISSED, EnrollmentStatus.WITHDRAWN)


class TraineesTab(ProjectTab):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.table = read_only_table(
            [self.tr(h) for h in ("姓名", "身份证号", "学校/单位", "班级", "状态", "说明")],
            stretch=5,
            multi=True,
        )
        buttons = FlowLayout()
        for label, status in STEPS:
            button = QPushButton(self.tr(label))
            button.clicked.connect(lambda _=False, s=status: self.step_selected(s))
            buttons.addWidget(button)
        for caption, slot in (
            (self.tr("公示…"), self.publicise),
            (self.tr("导入报名名单…"), self.choose_applications_file),
            (self.tr("导出公示名单和参训通知…"), self.choose_documents_folder),
        ):
            button = QPushButton(caption)
            button.clicked.connect(lambda _=False, f=slot: f())
            buttons.addWidget(button)
        self.arrange(self.table, buttons)

    def show_project(self, project: ProjectRow) -> None:
        rows = self.context.read(selection.enrollment_rows, project.id)
        fill_table(
            self.table,
            [
                [
                    r.name,
                    r.masked_id_number,
                    r.school_name,
                    r.class_name,
                    EnrollmentStatus(r.status).label,
                    "；".join(
                        x for x in (r.status_reason, r.override_reason and f"破格：{r.override_reason}") if x
                    ),
                ]
                for r in rows
            ],
            keys=[r.id for r in rows],
        )

    def step_selected(self, status: EnrollmentStatus, reason: str | None = None) -> bool:
        ids = selected_keys(self.table)
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
        # A missing reason is refused by the service; asking first would be asking for nothing.
        if (
            status in FINAL_STEPS
            and (reason or "").strip()
            and not self._confirm_final(ids, status, reason or "")
        ):
            return False
        return self._change(
            selection.advance, ids, status, actor=ACTOR, at=dt.datetime.now(), reason=reason or ""
        )

    def _confirm_final(self, ids: list[str], status: EnrollmentStatus, reason: str) -> bool:
        chosen = set(ids)
        names = [
            self.table.item(row, 0).text()
            for row in range(self.table.rowCount())
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) in chosen
        ]
        shown = "、".join(names[:10]) + (self.tr(" 等") if len(names) > 10 else "")
        lines = [
            self.tr("将把 {n} 人改为“{status}”：{names}").format(
                n=len(ids), status=status.label, names=shown
            ),
            self.tr("原因：{reason}").format(reason=reason.strip()),
        ]
        project = self.current_project()
        if status in INTEGRITY and project is not None and Program(project.program).is_guopei:
            lines.append(self.tr("将为 {n} 人写入诚信档案，三年内不得参加国培。").format(n=len(ids)))
        lines.append(self.tr("此操作不能撤销。"))
        return self.context.confirm(self, self.tr(status.label), "\n".join(lines), self.tr(status.label))

    def publicise(self, days: int | None = None) -> bool:
        project = self.current_project()
        if project is None:
            return False
        if days is None:
            days, ok = QInputDialog.getInt(self, self.tr("公示"), self.tr("公示期（天）："), 5, 1, 30)
            if not ok:
                return False
        return self._change(
            selection.publicise,
            project.id,
            start=self.context.today(),
            days=days,
            at=dt.datetime.now(),
            actor=ACTOR,
        )

    def choose_applications_file(self) -> None:
        path = choose_spreadsheet(self, self.tr("选择报名名单"))
        if path:
            self.import_applications(path)

    def import_applications(self, path: Path) -> PreviewDialog | None:
        return self.preview_file(path, self._applications_spec)

    def _applications_spec(self, project: ProjectRow, path: Path) -> PreviewSpec:
        preview = self.context.read(preview_applications, project.id, path, today=self.context.today())
        return PreviewSpec(
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
            apply=apply_applications,
            apply_args=(preview,),
            apply_kwargs={"actor": ACTOR, "at": dt.datetime.now()},
            done_message=self.tr("已报名 {n} 人。"),
        )

    def choose_documents_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("保存到文件夹"))
        if folder:
            self.write_documents(Path(folder))

    def write_documents(self, folder: Path) -> None:
        project = self.current_project()
        if project is None:
            return

        def done(written: WrittenDocuments) -> None:
            names = "\n".join(path.name for path in written.files)
            self.context.inform(
                self,
                self.tr("导出"),
                self.tr("已为 {s} 所学校的 {n} 名学员生成：\n{files}\n保存在 {folder}").format(
                    s=written.schools, n=written.trainees, files=names, folder=folder
                ),
            )

        Op(
            self,
            self.context,
            write_selection_documents,
            project.id,
            folder,
            county_name=self.context.db.device.county_name,
            today=self.context.today(),
        ).read_only().success(done).run_in_background(self.tr("正在生成文件…"))
