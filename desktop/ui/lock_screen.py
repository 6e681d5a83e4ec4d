"""The screen in front of the work: the login at start, the idle lock, and switching operator.

It covers the window's pages without touching them, so that a lock keeps what was typed, selected
and scrolled. Unlocking asks the same operator's password; "切换操作员" accepts any account. Only a
demo county lists its accounts (one per role, with the demo password); a real county lists none.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.roles import Operator
from desktop.errors import UserError
from desktop.services import accounts
from desktop.ui.context import AppContext


class LockScreen(QWidget):
    unlocked = Signal(object)  # the Operator now at the keyboard

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setObjectName("lockScreen")
        self.locked_operator: Operator | None = None  # None: a login (any account)

        self.title = QLabel()
        self.title.setObjectName("lockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSize(font.pointSize() + 6)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)

        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("账户名"))
        self.demo_accounts = QComboBox()
        self.demo_accounts.activated.connect(self._demo_chosen)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("密码"))
        self.password.returnPressed.connect(self.submit)
        self.name.returnPressed.connect(self.password.setFocus)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.enter = QPushButton(self.tr("登录"))
        self.enter.setDefault(True)
        self.enter.clicked.connect(self.submit)
        self.switch = QPushButton(self.tr("切换操作员"))
        self.switch.clicked.connect(lambda: self.show_login(self.tr("切换操作员")))

        box = QFrame()
        box.setObjectName("lockBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setMaximumWidth(420)
        form = QFormLayout(box)
        form.addRow(self.title)
        form.addRow(self.subtitle)
        self.demo_label = QLabel(self.tr("演示账户"))
        form.addRow(self.demo_label, self.demo_accounts)
        self.name_label = QLabel(self.tr("账户名"))
        form.addRow(self.name_label, self.name)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch)
        buttons.addStretch(1)
        buttons.addWidget(self.enter)
        form.addRow(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def show_login(self, title: str | None = None) -> None:
        """Any account may log in (the start, or switching operator)."""
        self.locked_operator = None
        county = self.context.db.device.county_name
        self.title.setText(title or self.tr("国培桌面端 · {county}").format(county=county))
        self.subtitle.setText(self.tr("请登录。账户由本县管理员在“账户”页建立。"))
        # Imported only when someone must log in: the demo county's builder is large (issue 19).
        from desktop.services import demo_county

        listed = self.context.read(demo_county.demo_logins)
        self.demo_accounts.clear()
        for name, role in listed:
            self.demo_accounts.addItem(self.tr("{name}（{role}）").format(name=name, role=role.label), name)
        self.demo_label.setVisible(bool(listed))
        self.demo_accounts.setVisible(bool(listed))
        if listed:
            self.subtitle.setText(
                self.tr("演示县：每个角色一个演示账户，密码都是 {password}").format(
                    password=demo_county.DEMO_PASSWORD
                )
            )
            self._demo_chosen(0)
        self.name.setReadOnly(False)
        self.name_label.setVisible(True)
        self.name.setVisible(True)
        self.switch.setVisible(False)
        self.enter.setText(self.tr("登录"))
        self._reset(focus=self.password if listed else self.name)

    def show_lock(self, operator: Operator) -> None:
        """The idle lock: only this operator's password opens it (or switching operator)."""
        self.locked_operator = operator
        self.title.setText(self.tr("已锁定"))
        self.subtitle.setText(
            self.tr("{name}（{role}）离开后窗口已锁定，页面内容保持不变。输入密码继续。").format(
                name=operator.name, role=operator.role.label
            )
        )
        self.demo_label.setVisible(False)
        self.demo_accounts.setVisible(False)
        self.name.setText(operator.name)
        self.name_label.setVisible(False)
        self.name.setVisible(False)
        self.switch.setVisible(True)
        self.enter.setText(self.tr("解锁"))
        self._reset(focus=self.password)

    def _reset(self, *, focus: QWidget) -> None:
        self.password.clear()
        self.message.clear()
        focus.setFocus()

    def _demo_chosen(self, index: int) -> None:
        name = self.demo_accounts.itemData(index)
        if name:
            self.name.setText(name)
            self.password.setFocus()

    def submit(self) -> None:
        try:
            if self.locked_operator is not None:
                operator = accounts.unlock(self.context.db, self.password.text())
            else:
                operator = accounts.login(self.context.db, self.name.text(), self.password.text())
        except UserError as error:
            self.message.setText(str(error))
            self.password.clear()
            self.password.setFocus()
            return
        self.password.clear()
        self.unlocked.emit(operator)
