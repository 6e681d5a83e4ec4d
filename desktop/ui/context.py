"""What every page is given: the open database, today's date, and the app-wide changes signal.

`Changes` is re-exported from `desktop.services.unit_of_work`, where operations compute it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.services import unit_of_work
from desktop.services.unit_of_work import Changes, Database
from desktop.ui.errors import show_error
from desktop.ui.tasks import TaskRunner

__all__ = ["AppContext", "Changes"]


class AppContext(QObject):
    changed = Signal(object)  # Changes
    # A backup file and its (checked) password: the launcher swaps the open county for it.
    restore_requested = Signal(object, str)
    backup_made = Signal(object)  # desktop.db.backup.BackupOutcome: the status area shows its age
    operator_changed = Signal(object)  # desktop.domain.roles.Operator: who is logged in now
    idle_minutes_changed = Signal(int)  # the idle-lock time an administrator just set

    def __init__(
        self,
        db: Database,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        clock: Callable[[], dt.datetime] | None = None,
        runner: TaskRunner | None = None,
        log_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.today = today
        # The moment decisions are taken at (completion is refused before a project's last session);
        # without a clock of its own, the time of day on `today`, so an injected day is kept.
        self.now = clock or (lambda: dt.datetime.combine(self.today(), dt.datetime.now().time()))
        self.runner = runner or TaskRunner()
        self.log_path = log_path

    # Messages go through these two, so that tests (and later a status-bar toast) can take them
    # without a modal box stopping the event loop.
    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def confirm(self, parent: QWidget | None, title: str, text: str, action: str) -> bool:
        """Ask once before an irreversible step; the Yes button is named for the action, Cancel is the
        default so that a stray Enter changes nothing."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(text)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(action)
        box.button(QMessageBox.StandardButton.Cancel).setText(box.tr("取消"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def report_error(self, parent: QWidget | None, error: BaseException) -> None:
        show_error(parent, error, log_path=self.log_path)

    def open_file(self, path: Path) -> None:
        """Open a document in the system's viewer (a PDF is printed from there)."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def announce(self, changes: Changes) -> None:
        self.changed.emit(changes)

    def read(self, query: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """What a page shows: `query(session, *args, **kwargs)`, a service function, on a read-only
        snapshot taken on the UI thread (reads are quick; writes go through `desktop.ui.operations.Op`)."""
        return unit_of_work.read(self.db, query, *args, **kwargs)
