"""建立管理员账户（推荐）: the first-start page's last, optional step once a county is built, downloaded
or restored without any account. The administrator then creates the others on the 账户 page; skipped,
the county works without logins until someone creates one (账户 page, or `guopei-desk user add`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.domain.roles import MIN_PASSWORD_LENGTH
from desktop.errors import UserError
from desktop.services import accounts


class FirstAdminPage(QWidget):
    def __init__(self, data_dir: Path, done: Callable[[], None]) -> None:
        super().__init__()
        self.data_dir = data_dir
        self._done = done
        intro = QLabel(
            self.tr(
                "建议现在建立管理员账户：以后每次打开程序需要登录，离开一段时间会自动锁定，"
                "谁做了哪些修改、查看或导出了谁的完整身份证号都会记录下来。"
                "管理员可在“账户”页为其他人建立培训管理员、签到员、查询账户。也可以跳过，以后再建立。"
            )
        )
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("如：张主任"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("至少 {n} 位").format(n=MIN_PASSWORD_LENGTH))
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.name.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.again.setFocus)
        self.again.returnPressed.connect(self.submit)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.create = QPushButton(self.tr("建立管理员并开始"))
        self.create.setDefault(True)
        self.create.clicked.connect(self.submit)
        self.skip = QPushButton(self.tr("跳过，以后再建立"))
        self.skip.clicked.connect(self._done)
        self.first_field = self.name

        form = QFormLayout()
        form.addRow(self.tr("账户名"), self.name)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.tr("再输入一次"), self.again)
        form.addRow(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip)
        buttons.addStretch(1)
        buttons.addWidget(self.create)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def submit(self) -> None:
        if self.password.text() != self.again.text():
            self._refused(self.tr("两次输入的密码不一致"))
            return
        try:
            accounts.add_first_administrator(self.data_dir, self.name.text(), self.password.text())
        except UserError as error:
            self._refused(str(error))
            return
        self._done()

    def _refused(self, text: str) -> None:
        self.message.setText(text)
        self.password.clear()
        self.again.clear()
        self.password.setFocus()
