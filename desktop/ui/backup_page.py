"""备份 page: the backup password, a second copy on a USB stick or share, the backups kept, and restore.

Backups themselves are made by `desktop.db.backup` (online backup API, verified, encrypted, rotated);
this page only asks for them and shows what there is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import BackupPasswordError, GuopeiError
from desktop.services import backups
from desktop.sync.credentials import load_credentials
from desktop.ui.backup_status import age_words, local_time
from desktop.ui.context import AppContext
from desktop.ui.operations import Op
from desktop.ui.widgets import fill_table, ok_cancel, read_only_table, selected_keys

FORGOTTEN_PASSWORD_NOTE = (
    "备份文件已加密，U 盘丢失也不会泄露教师的身份证号和手机号。备份密码只保存在本机：忘记密码就无法恢复"
    "备份，也无法找回密码。已同步到省级平台的数据，可以在新电脑上用“连接省级平台”找回。"
)


def format_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


class PasswordDialog(QDialog):
    """Set the backup password, or change it (the current one is asked first)."""

    def __init__(self, parent: QWidget | None, *, changing: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("修改备份密码") if changing else self.tr("设置备份密码"))
        self.current = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.current, self.new, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        form = QFormLayout(self)
        note = QLabel(self.tr(FORGOTTEN_PASSWORD_NOTE))
        note.setWordWrap(True)
        form.addRow(note)
        if changing:
            form.addRow(self.tr("当前密码"), self.current)
        form.addRow(self.tr("新密码（至少 8 位）"), self.new)
        form.addRow(self.tr("再输入一次"), self.repeat)
        form.addRow(self.message)
        buttons = ok_cancel(self, self._check)
        form.addRow(buttons)
        self.setMinimumWidth(420)

    def _check(self) -> None:
        if self.new.text() != self.repeat.text():
            self.message.setText(self.tr("两次输入的新密码不一致"))
            return
        self.accept()


class BackupPage(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.data_dir = context.db.path.parent

        title = QLabel(self.tr("备份与恢复"))
        title.setObjectName("pageTitle")
        self.password_state = QLabel()
        self.latest = QLabel()
        self.second = QLabel()
        self.second.setWordWrap(True)
        note = QLabel(self.tr(FORGOTTEN_PASSWORD_NOTE))
        note.setWordWrap(True)
        note.setObjectName("emptyNote")

        headers = [self.tr("备份时间"), self.tr("原因"), self.tr("大小"), self.tr("校验"), self.tr("文件")]
        self.table = read_only_table(headers, stretch=4)

        self.backup_button = QPushButton(self.tr("立即备份"))
        self.password_button = QPushButton()
        self.second_button = QPushButton(self.tr("第二备份位置…"))
        self.restore_button = QPushButton(self.tr("从备份恢复…"))
        self.backup_button.clicked.connect(self.back_up_now)
        self.password_button.clicked.connect(self.change_password)
        self.second_button.clicked.connect(self.choose_second_folder)
        self.restore_button.clicked.connect(self.restore_selected)
        QShortcut(QKeySequence("Ctrl+B"), self, activated=self.back_up_now)

        buttons = QHBoxLayout()
        for button in (self.backup_button, self.password_button, self.second_button, self.restore_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        form = QFormLayout()
        form.addRow(self.tr("备份密码："), self.password_state)
        form.addRow(self.tr("最近一次备份："), self.latest)
        form.addRow(self.tr("第二备份位置："), self.second)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.refresh()

    def second_folder(self) -> Path | None:
        return self.context.read(backups.backup_settings).second_folder

    def refresh(self) -> None:
        configured = backups.has_backup_key(self.data_dir)
        self.password_state.setText(
            self.tr("已设置（自动备份：每天第一次修改数据后、关闭程序时、升级和恢复之前）")
            if configured
            else self.tr("未设置——设置密码后才会自动备份")
        )
        self.password_button.setText(self.tr("修改备份密码…") if configured else self.tr("设置备份密码…"))
        self.backup_button.setEnabled(configured)
        self.infos = backups.list_backups(backups.backups_dir(self.data_dir))
        verified = [info for info in self.infos if info.verified]
        if verified:
            when = local_time(verified[0].created_at)
            self.latest.setText(f"{when:%Y-%m-%d %H:%M}（{self.tr(age_words(when, now=dt.datetime.now()))}）")
        else:
            self.latest.setText(self.tr("还没有备份"))
        folder = self.second_folder()
        if folder is None:
            self.second.setText(self.tr("未设置（建议每周插上 U 盘，或选择单位的共享文件夹）"))
        elif folder.is_dir():
            self.second.setText(str(folder))
        else:
            missing = self.tr("{folder}（现在找不到：U 盘没插上？备份仍保存在本机）")
            self.second.setText(missing.format(folder=folder))
        fill_table(
            self.table,
            [
                [
                    f"{local_time(info.created_at):%Y-%m-%d %H:%M}" if info.created_at else "—",
                    info.reason_label if info.problem is None else info.problem,
                    format_size(info.size),
                    self.tr("通过") if info.verified else self.tr("未通过"),
                    info.path.name,
                ]
                for info in self.infos
            ],
            keys=[str(info.path) for info in self.infos],
        )

    def back_up_now(self) -> None:
        if not backups.has_backup_key(self.data_dir):
            self.change_password()
            if not backups.has_backup_key(self.data_dir):
                return
        db = self.context.db

        def done(outcome: backups.BackupOutcome) -> None:
            self.refresh()
            self.context.backup_made.emit(outcome)
            text = self.tr("已备份并校验：{path}").format(path=outcome.path)
            self.context.inform(self, self.tr("备份"), "\n".join([text, *outcome.messages]))

        self.context.runner.run(
            self,
            title=self.tr("正在备份…"),
            work=lambda _reporter: backups.take_backup(db),
            on_done=done,
            on_error=lambda error: self.context.report_error(self, error),
        )

    def change_password(self) -> None:
        changing = backups.has_backup_key(self.data_dir)
        dialog = PasswordDialog(self, changing=changing)
        while dialog.exec():
            try:
                current = dialog.current.text() if changing else None
                backups.set_backup_password(self.data_dir, dialog.new.text(), current_password=current)
            except BackupPasswordError as error:
                dialog.message.setText(str(error))
                continue
            break
        self.refresh()

    def choose_second_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("选择第二备份位置（U 盘或共享文件夹）"), str(self.second_folder() or Path.home())
        )
        Op(self, self.context, backups.set_second_folder, Path(folder) if folder else None).success(
            lambda _: self.refresh()
        ).run()

    def restore_selected(self) -> None:
        chosen_rows = selected_keys(self.table)
        if chosen_rows:
            path = Path(chosen_rows[0])
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, self.tr("选择备份文件"), str(self.data_dir), self.tr("国培桌面端备份 (*.gpbak)")
            )
            if not chosen:
                return
            path = Path(chosen)
        password, ok = QInputDialog.getText(
            self, self.tr("从备份恢复"), self.tr("备份密码："), QLineEdit.EchoMode.Password
        )
        if not ok:
            return
        try:
            facts = backups.verify_backup(path, password)
        except GuopeiError as error:  # a wrong password or a damaged file: said before anything changes
            self.context.report_error(self, error)
            return
        if self.confirm_restore(facts.created_at):
            self.context.restore_requested.emit(path, password)

    def confirm_restore(self, created_at: dt.datetime) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("从备份恢复"))
        box.setText(self.restore_warning(created_at))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("恢复"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def restore_warning(self, created_at: dt.datetime) -> str:
        unsynced = self.context.read(backups.unsynced_changes)
        text = self.tr(
            "将用 {time:%Y-%m-%d %H:%M} 的备份替换本机当前的数据。\n\n"
            "当前数据会另存在数据目录中（不会删除）。"
        ).format(time=local_time(created_at))
        if unsynced:
            lost = self.tr("本机还有 {n} 条修改尚未同步到省级平台，其中备份之后所做的，恢复后在本机丢失。")
            text += lost.format(n=f"{unsynced:,}")
        if load_credentials(self.data_dir) is not None:
            text += self.tr("\n\n恢复后会立即与省级平台同步，找回备份之后已同步的数据。")
        else:
            text += self.tr("\n\n本机尚未连接省级平台：备份之后录入的数据无法从平台找回。")
        return text + self.tr("\n\n确定恢复吗？")
