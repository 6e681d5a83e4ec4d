"""The main window: navigation on the left, one page at a time on the right, status at the bottom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from desktop.ui import window_state
from desktop.ui.backup_page import BackupPage
from desktop.ui.backup_status import BackupStatus
from desktop.ui.certificates_page import CertificatesPage
from desktop.ui.checkin_page import CheckInPage
from desktop.ui.context import AppContext
from desktop.ui.credits_page import CreditsPage
from desktop.ui.dashboard_page import DashboardPage
from desktop.ui.projects_page import ProjectsPage
from desktop.ui.schools_page import SchoolsPage
from desktop.ui.sync_page import SyncPage
from desktop.ui.sync_status import SyncStatus
from desktop.ui.teachers_page import TeachersPage


@dataclass(frozen=True)
class PageSpec:
    key: str  # used in screenshot file names
    title: str
    create: Callable[[AppContext], QWidget]


def page_specs() -> list[PageSpec]:
    """The areas that work. An area is listed here only once it does something real."""
    return [
        PageSpec("dashboard", "首页", DashboardPage),
        PageSpec("teachers", "教师", TeachersPage),
        PageSpec("schools", "学校", SchoolsPage),
        PageSpec("projects", "培训项目", ProjectsPage),
        PageSpec("checkin", "签到", CheckInPage),
        PageSpec("credits", "学分", CreditsPage),
        PageSpec("certificates", "证书", CertificatesPage),
        PageSpec("sync", "同步", SyncPage),
        PageSpec("backup", "备份", BackupPage),
    ]


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        device = context.db.device
        self.setWindowTitle(self.tr("国培桌面端 — {county}").format(county=device.county_name))
        self.specs = page_specs()

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
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
        self.navigation.setCurrentRow(0)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.county_label = QLabel(
            self.tr("{county}（{code}）· 数据文件：{path}").format(
                county=device.county_name, code=device.county_code, path=context.db.path
            )
        )
        self.statusBar().addWidget(self.county_label)
        self.sync_status = SyncStatus(context)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.backup_status = BackupStatus(context)
        self.statusBar().addPermanentWidget(self.backup_status)
        self.backup_on_close = True  # off when the launcher replaces this county (restore)

    def closeEvent(self, event: QCloseEvent) -> None:
        window_state.remember(self, page=self.current_page())
        if self.backup_on_close:
            self.backup_status.back_up_on_close()
        super().closeEvent(event)

    def _show_row(self, row: int) -> None:
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

    def current_page(self) -> str:
        return self.specs[self.navigation.currentRow()].key

    def restore_page(self, key: str | None) -> None:
        """Reopen on the page shown when the window was last closed, if this release still has it."""
        if key in {spec.key for spec in self.specs}:
            self.show_page(key)
