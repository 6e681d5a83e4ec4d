"""证书: issue a finished project's certificates, print them (progress and cancel), reprint, revoke,
and check a scanned certificate offline."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import GuopeiError
from desktop.printing.certificates import batch_filename
from desktop.services import certificates, project_choices, projects
from desktop.services.certificate_printing import certificate_data, print_certificates
from desktop.services.certificates import CertificateRow
from desktop.ui.certificate_preview import CertificatePreviewDialog
from desktop.ui.context import AppContext, Changes
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.operations import Op
from desktop.ui.widgets import fill_table, read_only_table, selected_keys


class CertificatesPage(QWidget):
    WATCHED = ("certificates", "enrollments")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[CertificateRow] = []
        title = QLabel(self.tr("结业证书"))
        title.setObjectName("pageTitle")
        self.project = QComboBox()
        # Project names run long: the list shows them whole, the box keeps the page on a small screen.
        self.project.setMinimumContentsLength(20)
        self.project.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.project.currentIndexChanged.connect(self._fill_classes)
        self.training_class = QComboBox()
        self.training_class.currentIndexChanged.connect(self.reload)
        self.separate = QCheckBox(self.tr("另为每名学员单独保存一个 PDF"))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.project, 1)
        top.addWidget(self.training_class)
        self.table = read_only_table(
            [
                self.tr(h)
                for h in ("证书编号", "持证人", "身份证号", "项目", "班级", "发证日期", "打印次数", "状态")
            ],
            stretch=3,
            multi=True,
        )
        buttons = FlowLayout()
        for caption, slot in (
            (self.tr("为结业学员签发证书"), self.issue),
            (self.tr("预览"), self.preview_selected),
            (self.tr("打印所选…"), lambda: self.choose_print_file(selected=True)),
            (self.tr("打印列表中全部…"), lambda: self.choose_print_file(selected=False)),
            (self.tr("撤销…"), self.revoke_selected),
        ):
            button = QPushButton(caption)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addWidget(self.separate)
        self.empty_note = QLabel(self.tr("这个项目还没有签发证书：点“为结业学员签发证书”。"))
        self.empty_note.setObjectName("emptyNote")
        self.scan = QLineEdit()
        self.scan.setPlaceholderText(self.tr("核验：扫描证书二维码（或粘贴其文字）后按回车"))
        self.scan.returnPressed.connect(self.verify)
        self.verdict = QLabel()
        self.verdict.setObjectName("sectionTitle")
        self.verdict.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_note)
        layout.addLayout(buttons)
        layout.addWidget(self.scan)
        layout.addWidget(self.verdict)
        context.changed.connect(self.on_changes)
        self._fill_projects()

    def _fill_projects(self) -> None:
        choices = self.context.read(project_choices.with_completed_trainees)
        self.project.blockSignals(True)
        self.project.clear()
        for choice in choices:
            self.project.addItem(choice.label, choice.id)
        self.project.blockSignals(False)
        self._fill_classes()

    def _fill_classes(self) -> None:
        project_id = self.project.currentData()
        classes = self.context.read(projects.class_rows, project_id) if project_id else []
        self.training_class.blockSignals(True)
        self.training_class.clear()
        self.training_class.addItem(self.tr("全部班级"), None)
        for class_id, name, *_ in classes:
            self.training_class.addItem(name, class_id)
        self.training_class.blockSignals(False)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("enrollments"):
            self._fill_projects()
        elif changes.touches(*self.WATCHED):
            self.reload()

    def reload(self) -> None:
        project_id = self.project.currentData()
        self.rows = (
            self.context.read(
                certificates.certificate_rows,
                project_id=project_id,
                class_id=self.training_class.currentData(),
            )
            if project_id
            else []
        )
        fill_table(
            self.table,
            [
                [
                    r.serial,
                    r.holder_name,
                    r.masked_id_number,
                    r.project_name,
                    r.class_name,
                    str(r.issued_on),
                    str(r.print_count),
                    self.tr("已撤销：") + r.revoked_reason if r.revoked else self.tr("有效"),
                ]
                for r in self.rows
            ],
            keys=[r.id for r in self.rows],
        )
        self.empty_note.setVisible(not self.rows and self.project.currentData() is not None)

    def issue(self) -> int:
        project_id = self.project.currentData()
        if project_id is None:
            return 0
        device = self.context.db.device
        awaiting = len(self.context.read(certificates.awaiting_certificates, project_id))
        if not awaiting:
            self.context.inform(self, self.tr("签发证书"), self.tr("这个项目的结业学员都已有证书。"))
            return 0
        text = self.tr(
            "将为 {n} 名结业学员签发证书，每人一个新编号，签发日期 {day}。\n"
            "编号一经签发不再收回，签错只能撤销。"
        ).format(n=awaiting, day=f"{self.context.today():%Y年%m月%d日}")
        if not self.context.confirm(
            self, self.tr("签发证书"), text, self.tr("签发 {n} 张").format(n=awaiting)
        ):
            return 0
        issued: list = []
        Op(
            self,
            self.context,
            certificates.issue_for_project,
            project_id,
            county_code=device.county_code,
            issued_on=self.context.today(),
        ).success(issued.extend).run()
        if issued:
            self.context.inform(
                self, self.tr("签发证书"), self.tr("新签发 {n} 张证书。").format(n=len(issued))
            )
        return len(issued)

    def choose_print_file(self, *, selected: bool) -> None:
        suggested = batch_filename(self.project.currentText(), self.context.now())
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("保存证书 PDF"), suggested, "PDF (*.pdf)")
        if chosen:
            self.print_to(Path(chosen), selected=selected)

    def print_to(self, out: Path, *, selected: bool) -> None:
        ids = selected_keys(self.table) if selected else [r.id for r in self.rows if not r.revoked]
        if not ids:
            return
        # The per-trainee files go into a folder named like the PDF, beside it.
        separate = out.with_suffix("") if self.separate.isChecked() else None

        def done(pages: int) -> None:
            self.context.inform(
                self, self.tr("打印证书"), self.tr("{n} 张证书已保存：{path}").format(n=pages, path=out)
            )
            self.context.open_file(out)

        Op(
            self,
            self.context,
            print_certificates,
            ids,
            out,
            county_name=self.context.db.device.county_name,
            per_trainee_dir=separate,
        ).success(done).run_in_background(self.tr("正在生成证书…"), with_progress=True)

    def preview_selected(self) -> CertificatePreviewDialog | None:
        ids = selected_keys(self.table)
        if not ids:
            return None
        try:
            item = self.context.read(
                certificate_data, ids[:1], county_name=self.context.db.device.county_name
            )[0]
        except GuopeiError as error:
            self.context.report_error(self, error)
            return None
        dialog = CertificatePreviewDialog(self, item)
        dialog.open()
        return dialog

    def revoke_selected(self, reason: str | None = None) -> bool:
        serials = [r.serial for r in self.rows if r.id in set(selected_keys(self.table))]
        if not serials:
            return False
        if reason is None:
            reason, ok = QInputDialog.getText(self, self.tr("撤销证书"), self.tr("撤销原因："))
            if not ok:
                return False
        # Without a reason the service refuses; asking first would be asking for nothing.
        if reason.strip():
            shown = "、".join(serials[:5]) + (self.tr(" 等") if len(serials) > 5 else "")
            text = self.tr(
                "将撤销 {n} 张证书：{serials}\n原因：{reason}\n撤销后扫码核验显示“已撤销”，不能恢复。"
            ).format(n=len(serials), serials=shown, reason=reason.strip())
            if not self.context.confirm(self, self.tr("撤销证书"), text, self.tr("撤销证书")):
                return False
        return Op(self, self.context, certificates.revoke_all, serials, reason=reason).run()

    def verify(self) -> None:
        verdict = self.context.read(certificates.verify, self.scan.text())
        self.scan.clear()
        text = verdict.reason
        if verdict.claims is not None:
            c = verdict.claims
            text += (
                f"：{c.serial}  {c.holder_name}（{c.masked_id_number}）  {c.project_name}  {c.hours:g} 学时"
            )
        colour = "#1e8449" if verdict.valid else "#b03a2e"
        self.verdict.setStyleSheet(f"color: {colour};")
        self.verdict.setText(text)
