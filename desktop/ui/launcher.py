"""Which window a start shows, and the swap from one county database to another.

A data directory with a county opens the main window; one without a county, or with a damaged one,
opens the first-start page, which says when a county is ready. Restoring a backup from the running app
closes the main window's database first (Windows cannot rename an open file), restores, and opens a
new main window on the restored county.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from desktop.errors import DatabaseCorrupt, DatabaseNotInitialised, GuopeiError
from desktop.services import backups as backup_settings
from desktop.services import unit_of_work
from desktop.services.unit_of_work import open_database
from desktop.sync.credentials import load_credentials
from desktop.ui import window_state
from desktop.ui.context import AppContext
from desktop.ui.errors import show_error
from desktop.ui.first_start import FirstStartPage
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

INTEGRITY_CHECK_AFTER_MS = 60_000


class Launcher(QObject):
    def __init__(
        self, data_dir: Path, *, log_path: Path | None = None, runner: TaskRunner | None = None
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.log_path = log_path
        self.runner = runner  # for the first-start page's work; tests pass a synchronous one
        self.window: QWidget | None = None

    def start(self) -> QWidget:
        """Show the main window on the county, or the first-start page where there is none to open."""
        try:
            db = open_database(self.data_dir)
        except DatabaseNotInitialised:
            return self._show(self._first_start(damaged=None))
        except DatabaseCorrupt as error:
            log.error("database failed its integrity check: %s", error.detail)
            return self._show(self._first_start(damaged=error))
        damage = unit_of_work.read(db, backup_settings.failed_integrity_check)
        if damage is not None:
            # The weekly full check found damage that the quick check at start misses: not used either.
            db.dispose()
            log.error("database failed its last full integrity check")
            return self._show(self._first_start(damaged=DatabaseCorrupt(db.path, damage)))
        window = MainWindow(AppContext(db, log_path=self.log_path))
        window.context.restore_requested.connect(self._restore)
        # The weekly full check reads every page of the file: not while the window is still opening.
        QTimer.singleShot(INTEGRITY_CHECK_AFTER_MS, window.backup_status.check_integrity_if_due)
        return self._show(window)

    def close(self) -> None:
        """When the program ends: the county's database closed cleanly, so that the next start need
        not read the whole file with a quick check before its window shows."""
        if isinstance(self.window, MainWindow):
            self.window.context.db.dispose()

    def _first_start(self, *, damaged: DatabaseCorrupt | None) -> FirstStartPage:
        page = FirstStartPage(self.data_dir, runner=self.runner, damaged=damaged, log_path=self.log_path)
        page.county_ready.connect(self._county_ready)
        return page

    def _county_ready(self, first_page: str) -> None:
        window = self.start()
        if isinstance(window, MainWindow):
            window.show_page(first_page)

    def _restore(self, path: Path, password: str) -> None:
        """Swap the open county for a backup; the main window asked, after the person confirmed and
        the password was checked against the file."""
        from desktop.sync.first_pull import restore_and_catch_up

        old = self.window
        assert isinstance(old, MainWindow)
        try:
            operator = backup_settings.authorise_restore(old.context.db)
        except GuopeiError as error:  # an operator without the backup permission: nothing is replaced
            show_error(old, error, log_path=self.log_path)
            return
        old.backup_on_close = False  # its database is about to be replaced, and was backed up just now
        old.context.db.dispose()
        failure: GuopeiError | None = None
        try:
            restore_and_catch_up(path, password, self.data_dir, operator=operator)
        except GuopeiError as error:
            failure = error  # a refused restore has changed nothing: the same county reopens
        window = self.start()
        if failure is not None:
            show_error(window, failure, log_path=self.log_path)
        elif isinstance(window, MainWindow) and load_credentials(self.data_dir) is not None:
            # What was synced after the backup comes back from the province at once.
            window.sync_status.sync_now()

    def _show(self, window: QWidget) -> QWidget:
        if self.window is not None and self.window is not window:
            geometry = self.window.geometry()
            self.window.close()
            self.window.deleteLater()
            window.setGeometry(geometry)
        else:
            last_page = window_state.place(window)
            if isinstance(window, MainWindow):
                window.restore_page(last_page)
        self.window = window
        window.show()
        return window
