"""Where the window opens: where the person left it last time (size, position and page), else
maximised, as a first start on a small county laptop should be; and each large table's columns as the
person left them.

Kept in QSettings (window state is the PC user's, not the county's: it never goes in the database), under
the keys `desktop.settings` declares."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QTableView, QWidget

from desktop.settings import TABLE_HEADER, WINDOW_GEOMETRY, WINDOW_PAGE

GEOMETRY_KEY = WINDOW_GEOMETRY.key
PAGE_KEY = WINDOW_PAGE.key


def place(window: QWidget) -> str | None:
    """Give the window its last geometry (maximised the first time) before it is shown; returns the
    key of the page it showed last, if any."""
    settings = QSettings()
    saved = settings.value(GEOMETRY_KEY)
    if saved is None or not window.restoreGeometry(saved):
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    page = settings.value(PAGE_KEY)
    return str(page) if page else None


def remember(window: QWidget, *, page: str | None = None) -> None:
    settings = QSettings()
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    if page is not None:
        settings.setValue(PAGE_KEY, page)


def keep_header(view: QTableView, name: str) -> None:
    """Give the table the column widths and order it had last time, and keep them as they change."""
    key = TABLE_HEADER.key.format(name=name)
    header = view.horizontalHeader()
    saved = QSettings().value(key)
    if saved is not None:
        header.restoreState(saved)

    def save(*_args: object) -> None:
        QSettings().setValue(key, header.saveState())

    header.sectionResized.connect(save)
    header.sectionMoved.connect(save)
