"""导出交换文件 / 导入交换文件 on the 同步 page: the county's changes on a USB stick between laptops,
or to and from the province, when no link carries a sync. An import first says what the file holds
(check-ins, enrollments, teachers; from which device, with its key fingerprint; made when) and asks
once; then it says what it changed. The work (scrypt, compression, the merge) runs on the write lane
with a progress dialog."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QWidget

from desktop.domain.roles import Permission
from desktop.errors import PermissionDenied
from desktop.services import access, unit_of_work
from desktop.services.unit_of_work import Done
from desktop.sync.exchange import (
    ExportResult,
    ImportResult,
    Preview,
    describe_counts,
    export_exchange,
    import_exchange,
    preview_exchange,
)
from desktop.ui.context import AppContext
from desktop.ui.tasks import Reporter
from guopei_common.exchange_file import PASSWORD_ENV, SUFFIX


class ExchangePanel(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.export_button = QPushButton(self.tr("导出交换文件…"))
        self.import_button = QPushButton(self.tr("导入交换文件…"))
        self.export_button.clicked.connect(self.ask_export)
        self.import_button.clicked.connect(self.ask_import)
        note = QLabel(self.tr("没有网络时：用U盘在本县电脑之间、与省级平台之间交换数据"))
        note.setWordWrap(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.export_button)
        row.addWidget(self.import_button)
        row.addWidget(note, 1)

    # --- asking (file and password) ---------------------------------------------------------------

    def _password(self) -> str | None:
        from_env = os.environ.get(PASSWORD_ENV)
        if from_env:
            return from_env
        text, ok = QInputDialog.getText(
            self, self.tr("交换密码"), self.tr("本县的交换密码："), QLineEdit.EchoMode.Password
        )
        return text if ok and text else None

    def _refused(self) -> bool:
        """Said before any file is chosen, naming the missing permission (the services refuse anyway)."""
        try:
            self.context.read(access.require, Permission.EXCHANGE)
        except PermissionDenied as error:
            self.context.report_error(self, error)
            return True
        return False

    def ask_export(self) -> None:
        if self._refused():
            return
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出交换文件"), f"{self.context.db.device.county_name}{SUFFIX}", f"*{SUFFIX}"
        )
        password = self._password() if chosen else None
        if chosen and password:
            path = Path(chosen)
            self.export_to(path if path.suffix == SUFFIX else path.with_suffix(SUFFIX), password)

    def ask_import(self) -> None:
        if self._refused():
            return
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("导入交换文件"), "", f"*{SUFFIX}")
        password = self._password() if chosen else None
        if chosen and password:
            self.import_from(Path(chosen), password)

    # --- the work -----------------------------------------------------------------------------------

    def export_to(self, path: Path, password: str) -> None:
        def work(reporter: Reporter) -> ExportResult:
            reporter.progress(0, 0, self.tr("正在写入交换文件（压缩、签名、加密）…"))
            return export_exchange(self.context.db, path, password=password)

        def done(result: ExportResult) -> None:
            self.context.inform(
                self,
                self.tr("导出交换文件"),
                self.tr(
                    "已写入 {path}\n{counts}\n共 {size:,} 字节。请在另一台电脑上用“导入交换文件”导入。"
                ).format(path=result.path, counts=describe_counts(result.counts), size=result.bytes),
            )

        self.context.runner.run(
            self, title=self.tr("导出交换文件"), work=work, on_done=done, on_error=self._failed
        )

    def import_from(self, path: Path, password: str) -> None:
        def work(reporter: Reporter) -> Preview:
            reporter.progress(0, 0, self.tr("正在解密并检查交换文件…"))
            return preview_exchange(self.context.db, path, password=password)

        def previewed(preview: Preview) -> None:
            if preview.imported_before:
                self.context.inform(
                    self, self.tr("导入交换文件"), self.tr("此文件已经导入过，没有任何改变。")
                )
                return
            if self.context.confirm(
                self, self.tr("导入交换文件"), self.preview_text(preview), self.tr("导入")
            ):
                self._apply(path, password)

        self.context.runner.run(
            self, title=self.tr("导入交换文件"), work=work, on_done=previewed, on_error=self._failed
        )

    def preview_text(self, preview: Preview) -> str:
        source = (
            self.tr("省级平台")
            if preview.kind == "province"
            else self.tr("本县设备 {device}").format(device=preview.device_id)
        )
        lines = [
            self.tr("来自：{source}（密钥指纹 {fingerprint}）").format(
                source=source, fingerprint=preview.fingerprint
            ),
            self.tr("导出时间：{made}").format(made=preview.made_at.replace("T", " ")),
            self.tr("内容：{counts}").format(counts=describe_counts(preview.counts)),
        ]
        if not preview.trusted:
            lines.append(
                self.tr(
                    "本机还没有登记这台设备：请与对方核对上面的密钥指纹，一致才导入；导入后本机会记住它。"
                )
            )
        return "\n".join(lines)

    def _apply(self, path: Path, password: str) -> None:
        def work(reporter: Reporter) -> Done[ImportResult]:
            reporter.progress(0, 0, self.tr("正在按省级平台的合并规则导入…"))
            # Several transactions of its own: what they wrote is collected, not guessed from the file.
            return unit_of_work.across(
                import_exchange, self.context.db, path, password=password, trust_device=True
            )

        def done(imported: Done[ImportResult]) -> None:
            result = imported.value
            self.context.announce(imported.changes)
            text = self.tr("新增或更新 {applied:,} 条，本机已有 {same:,} 条，冲突 {conflicts:,} 条。").format(
                applied=result.applied, same=result.same, conflicts=result.conflicts
            )
            if result.conflicts:
                text += self.tr("\n冲突中未采用的值已记入冲突记录；省级平台同步时按同样的规则合并。")
            self.context.inform(self, self.tr("导入交换文件"), text)

        self.context.runner.run(
            self, title=self.tr("导入交换文件"), work=work, on_done=done, on_error=self._failed
        )

    def _failed(self, error: BaseException) -> None:
        self.context.report_error(self, error)
