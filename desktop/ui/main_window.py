"""The main window: navigation on the left, one page at a time on the right, status at the bottom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from desktop.domain.roles import Operator, Permission
from desktop.services import access, accounts
from desktop.ui import window_state
from desktop.ui.backup_status import BackupStatus
from desktop.ui.context import AppContext
from desktop.ui.dashboard_page import DashboardPage
from desktop.ui.idle_lock import IdleLock
from desktop.ui.lock_screen import LockScreen
from desktop.ui.modal_lock import ModalLock
from desktop.ui.sync_status import SyncStatus

NAVIGATION_WIDTH = 170
NAVIGATION_NARROW = 124
NARROW_SCREEN = 1000  # logical px of available width


@dataclass(frozen=True)
class PageSpec:
    key: str  # used in screenshot file names
    title: str
    create: Callable[[AppContext], QWidget]
    # Listed only for operators with this permission (the services refuse the rest anyway).
    permission: Permission = Permission.VIEW


def page_specs() -> list[PageSpec]:
    """The areas that work. An area is listed here only once it does something real."""
    return [
        PageSpec("dashboard", "首页", DashboardPage),
        PageSpec("teachers", "教师", _teachers),
        PageSpec("schools", "学校", _schools),
        PageSpec("projects", "培训项目", _projects),
        PageSpec("checkin", "签到", _checkin, Permission.CHECK_IN),
        PageSpec("credits", "学分", _credits),
        PageSpec("statistics", "统计", _statistics),
        PageSpec("certificates", "证书", _certificates),
        PageSpec("sync", "同步", _sync),
        PageSpec("backup", "备份", _backup, Permission.BACKUP),
        PageSpec("accounts", "账户", _accounts, Permission.ACCOUNTS),
        PageSpec("audit", "审计", _audit, Permission.AUDIT),
    ]


# Each page's module is imported when the page is first shown: the pages bring in reportlab, openpyxl
# and more, which the window's first frame does not need (issue 19). The imports are written out so
# that the bundler finds them.
def _teachers(context: AppContext) -> QWidget:
    from desktop.ui.teachers_page import TeachersPage

    return TeachersPage(context)


def _schools(context: AppContext) -> QWidget:
    from desktop.ui.schools_page import SchoolsPage

    return SchoolsPage(context)


def _projects(context: AppContext) -> QWidget:
    from desktop.ui.projects_page import ProjectsPage

    return ProjectsPage(context)


def _checkin(context: AppContext) -> QWidget:
    from desktop.ui.checkin_page import CheckInPage

    return CheckInPage(context)


def _credits(context: AppContext) -> QWidget:
    from desktop.ui.credits_page import CreditsPage

    return CreditsPage(context)


def _statistics(context: AppContext) -> QWidget:
    from desktop.ui.statistics_page import StatisticsPage

    return StatisticsPage(context)


def _certificates(context: AppContext) -> QWidget:
    from desktop.ui.certificates_page import CertificatesPage

    return CertificatesPage(context)


def _sync(context: AppContext) -> QWidget:
    from desktop.ui.sync_page import SyncPage

    return SyncPage(context)


def _backup(context: AppContext) -> QWidget:
    from desktop.ui.backup_page import BackupPage

    return BackupPage(context)


def _accounts(context: AppContext) -> QWidget:
    from desktop.ui.accounts_page import AccountsPage

    return AccountsPage(context)


def _audit(context: AppContext) -> QWidget:
    from desktop.ui.audit_page import AuditPage

    return AuditPage(context)


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        device = context.db.device
        self.setWindowTitle(self.tr("国培桌面端 — {county}").format(county=device.county_name))
        self.specs = page_specs()

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        # Narrower on a small screen (1366×768 at 150 % leaves 911 px): every area name still fits.
        narrow = self.screen().availableGeometry().width() < NARROW_SCREEN
        self.navigation.setFixedWidth(NAVIGATION_NARROW if narrow else NAVIGATION_WIDTH)
        self.stack = QStackedWidget()
        # Pages are built the first time they are shown, so the window opens at once even on a
        # 200,000-teacher county; a placeholder holds each page's place in the stack until then.
        self.pages: dict[str, QWidget] = {}
        for index, spec in enumerate(self.specs):
            self.stack.addWidget(QWidget())
            self.navigation.addItem(self.tr(spec.title))
            # Ctrl+1 … Ctrl+9 jump to the areas, for keyboard-first work.
            if index < 9:
                shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
                shortcut.activated.connect(lambda i=index: self.navigation.setCurrentRow(i))
        self.navigation.currentRowChanged.connect(self._show_row)

        self.workspace = QWidget()
        layout = QHBoxLayout(self.workspace)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        # The lock screen covers the workspace without touching it: a lock keeps every page as it was.
        self.lock_screen = LockScreen(context)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.modal_lock = ModalLock(context, self)  # the lock over dialogs open when it fires
        self.modal_lock.unlocked.connect(self._unlocked)
        self.screens = QStackedWidget()
        self.screens.addWidget(self.workspace)
        self.screens.addWidget(self.lock_screen)
        self.setCentralWidget(self.screens)
        self.idle_lock: IdleLock | None = None
        context.operator_changed.connect(self._operator_changed)
        context.idle_minutes_changed.connect(self._idle_minutes_changed)

        self.county_label = QLabel(
            self.tr("{county}（{code}）· 数据文件：{path}").format(
                county=device.county_name, code=device.county_code, path=context.db.path
            )
        )
        # The first thing to give way on a narrow screen (elided; whole in its tooltip), never the
        # sync button or the backup warning beside it.
        self.county_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.county_label.setToolTip(self.county_label.text())
        self.statusBar().addWidget(self.county_label, 1)
        self.sync_status = SyncStatus(context)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.backup_status = BackupStatus(context)
        self.statusBar().addPermanentWidget(self.backup_status)
        self.operator_label = QLabel()
        self.statusBar().addPermanentWidget(self.operator_label)
        self.lock_button = QPushButton(self.tr("锁定"))
        self.lock_button.setToolTip(self.tr("锁定窗口（Ctrl+L）；页面保持不变，输入密码继续"))
        self.lock_button.clicked.connect(self.lock)
        self.statusBar().addPermanentWidget(self.lock_button)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock)
        self.backup_on_close = True  # off when the launcher replaces this county (restore)
        if context.read(access.login_needed):
            self.lock_screen.show_login()
            self.screens.setCurrentWidget(self.lock_screen)
            self._apply_operator(select=False)
        else:
            self._apply_operator()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.idle_lock is not None:
            self.idle_lock.stop()
        window_state.remember(self, page=self.current_page())
        if self.backup_on_close:
            self.backup_status.back_up_on_close()
        super().closeEvent(event)

    # --- operators --------------------------------------------------------------------------
    def _apply_operator(self, *, select: bool = True) -> None:
        """List only the pages the operator may use; start the idle lock once someone is logged in."""
        operator = self.context.db.operator
        allowed = self.context.read(access.allowed, [spec.permission for spec in self.specs])
        minutes = self.context.read(accounts.idle_minutes)
        for row, shown in enumerate(allowed):
            self.navigation.setRowHidden(row, not shown)
        self.operator_label.setText(
            self.tr("操作员：{name}（{role}）").format(name=operator.name, role=operator.role.label)
            if operator is not None
            else ""
        )
        self.lock_button.setVisible(operator is not None)
        if operator is not None and self.idle_lock is None:
            self.idle_lock = IdleLock(self.lock, minutes=minutes)
        if select:
            current = self.navigation.currentRow()
            if current < 0 or not allowed[current]:
                self.navigation.setCurrentRow(allowed.index(True) if True in allowed else -1)
            else:
                self._show_row(current)  # chosen while nobody was logged in: built now

    def lock(self) -> None:
        operator = self.context.db.operator
        if operator is None or self.screens.currentWidget() is self.lock_screen:
            return
        self.lock_screen.show_lock(operator)
        self.screens.setCurrentWidget(self.lock_screen)
        self.modal_lock.engage(operator)

    def _unlocked(self, _operator: Operator) -> None:
        self.modal_lock.release()
        self.screens.setCurrentWidget(self.workspace)
        self.context.operator_changed.emit(self.context.db.operator)

    def _operator_changed(self, _operator: Operator | None) -> None:
        self._apply_operator()
        if self.idle_lock is not None:
            self.idle_lock.restart()

    def _idle_minutes_changed(self, minutes: int) -> None:
        if self.idle_lock is not None:
            self.idle_lock.set_minutes(minutes)

    def _show_row(self, row: int) -> None:
        if row < 0 or self.navigation.isRowHidden(row):
            return  # a page this operator may not use is never built (its reads would be refused)
        spec = self.specs[row]
        if spec.key not in self.pages:
            page = spec.create(self.context)
            self.pages[spec.key] = page
            placeholder = self.stack.widget(row)
            self.stack.insertWidget(row, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
        self.stack.setCurrentIndex(row)

    def show_page(self, key: str) -> None:
        self.navigation.setCurrentRow([spec.key for spec in self.specs].index(key))

    def current_page(self) -> str | None:
        row = self.navigation.currentRow()
        return self.specs[row].key if row >= 0 else None

    def restore_page(self, key: str | None) -> None:
        """Reopen on the page shown when the window was last closed, if this release still has it."""
        if key in {spec.key for spec in self.specs}:
            self.show_page(key)
