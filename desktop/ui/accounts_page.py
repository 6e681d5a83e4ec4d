"""账户 page (administrators): the operators and their roles, a new account, resetting a password,
removing one, changing one's own password, and the idle-lock time. While a county has no account it
offers to create the first administrator (until then the program asks for no login)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.roles import MIN_PASSWORD_LENGTH, PERMISSIONS, Permission, Role
from desktop.services import accounts
from desktop.ui.context import AppContext
from desktop.ui.operations import Op
from desktop.ui.widgets import fill_table, ok_cancel, read_only_table, selected_keys


class AccountDialog(QDialog):
    """A new account (name, role, password twice), or only a password (`name` given)."""

    def __init__(self, parent: QWidget | None, *, title: str, name: str | None = None, first: bool = False):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.name = QLineEdit(name or "")
        self.name.setReadOnly(name is not None)
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.label, role)
        self.role.setEnabled(not first)  # the first account is the administrator
        self.old = QLineEdit()
        self.password = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.old, self.password, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        form = QFormLayout(self)
        form.addRow(self.tr("账户名"), self.name)
        if name is None:
            form.addRow(self.tr("角色"), self.role)
        self.asks_old = False
        form.addRow(self.tr("密码（至少 {n} 位）").format(n=MIN_PASSWORD_LENGTH), self.password)
        form.addRow(self.tr("再输入一次"), self.repeat)
        form.addRow(self.message)
        buttons = ok_cancel(self, self._check)
        form.addRow(buttons)
        self.setMinimumWidth(380)

    def ask_old_password(self) -> None:
        self.asks_old = True
        self.layout().insertRow(1, self.tr("当前密码"), self.old)

    def _check(self) -> None:
        if self.password.text() != self.repeat.text():
            self.message.setText(self.tr("两次输入的密码不一致"))
            return
        self.accept()


class AccountsPage(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.table = read_only_table(
            [self.tr("账户名"), self.tr("角色"), self.tr("可以做什么"), self.tr("状态")], stretch=2
        )
        self.add_button = QPushButton(self.tr("新建账户…"))
        self.add_button.clicked.connect(self.add_account)
        self.reset_button = QPushButton(self.tr("重置密码…"))
        self.reset_button.clicked.connect(self.reset_password)
        self.remove_button = QPushButton(self.tr("删除账户"))
        self.remove_button.clicked.connect(self.remove_account)
        self.own_button = QPushButton(self.tr("修改我的密码…"))
        self.own_button.clicked.connect(self.change_own_password)
        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setSuffix(self.tr(" 分钟"))
        self.idle.setSpecialValueText(self.tr("不自动锁定"))
        self.idle.editingFinished.connect(self.save_idle_minutes)

        buttons = QHBoxLayout()
        for button in (self.add_button, self.reset_button, self.remove_button, self.own_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        idle_row = QHBoxLayout()
        idle_row.addWidget(QLabel(self.tr("无操作后自动锁定：")))
        idle_row.addWidget(self.idle)
        idle_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addLayout(idle_row)
        self.refresh()

    def refresh(self) -> None:
        shown = self.context.read(accounts.overview)
        exists, rows, minutes = shown.exist, shown.rows, shown.idle_minutes
        if exists:
            self.intro.setText(
                self.tr(
                    "每人使用自己的账户：谁在何时做了什么都记入审计记录。输错密码 5 次账户锁定 15 分钟，"
                    "管理员可重置密码；最后一个管理员不能删除。"
                )
            )
        else:
            self.intro.setText(
                self.tr(
                    "本县还没有建立账户，任何人打开程序都能查看和修改全部数据。建立第一个管理员账户后，"
                    "每次启动都需要登录，并按角色限制可做的事。"
                )
            )
        self.add_button.setText(self.tr("新建账户…") if exists else self.tr("建立第一个管理员…"))
        for button in (self.reset_button, self.remove_button, self.own_button):
            button.setEnabled(exists)
        fill_table(
            self.table,
            [
                [
                    row.name,
                    row.role.label,
                    "、".join(p.label for p in Permission if p in PERMISSIONS[row.role]),
                    self.tr("已锁定至 {t}").format(t=f"{row.locked_until:%H:%M}") if row.locked_until else "",
                ]
                for row in rows
            ],
            keys=[row.name for row in rows],
        )
        self.idle.blockSignals(True)
        self.idle.setValue(minutes)
        self.idle.blockSignals(False)

    def _run(self, work: Callable[..., object], *args: object) -> bool:
        if not Op(self, self.context, work, *args).run():
            return False
        self.refresh()
        return True

    def add_account(self) -> None:
        first = not self.context.read(accounts.overview).exist
        dialog = AccountDialog(
            self, title=self.tr("建立第一个管理员") if first else self.tr("新建账户"), first=first
        )
        if not dialog.exec():
            return
        name, role, password = dialog.name.text(), dialog.role.currentData(), dialog.password.text()
        if self._run(accounts.add_account, name, role, password) and first:
            # The administrator who just created the first account is logged in as such.
            accounts.login(self.context.db, name, password)
            self.context.operator_changed.emit(self.context.db.operator)

    def _chosen(self) -> str | None:
        keys = selected_keys(self.table)
        if not keys:
            self.context.inform(self, self.tr("账户"), self.tr("请先在列表中选择一个账户"))
            return None
        return keys[0]

    def reset_password(self) -> None:
        name = self._chosen()
        if name is None:
            return
        dialog = AccountDialog(self, title=self.tr("重置 {name} 的密码").format(name=name), name=name)
        if dialog.exec():
            password = dialog.password.text()
            if self._run(accounts.reset_password, name, password):
                self.context.inform(
                    self, self.tr("账户"), self.tr("已重置 {name} 的密码，并解除锁定").format(name=name)
                )

    def remove_account(self) -> None:
        name = self._chosen()
        if name is None:
            return
        if self.context.confirm(
            self,
            self.tr("删除账户"),
            self.tr("删除账户“{name}”？此人此后不能再登录。").format(name=name),
            self.tr("删除"),
        ):
            self._run(accounts.remove_account, name)

    def change_own_password(self) -> None:
        operator = self.context.db.operator
        if operator is None:
            return
        dialog = AccountDialog(self, title=self.tr("修改我的密码"), name=operator.name)
        dialog.ask_old_password()
        if dialog.exec():
            old, new = dialog.old.text(), dialog.password.text()
            if self._run(accounts.change_password, old, new):
                self.context.inform(self, self.tr("账户"), self.tr("密码已修改"))

    def save_idle_minutes(self) -> None:
        minutes = self.idle.value()
        if self._run(accounts.set_idle_minutes, minutes):
            self.context.idle_minutes_changed.emit(minutes)
