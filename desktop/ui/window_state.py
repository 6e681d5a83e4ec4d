"""Where the window opens: where the person left it last time, else most of the screen, centred.

Kept in QSettings (window state is the PC user's, not the county's: it never goes in the database)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, QSize
from PySide6.QtWidgets import QWidget

GEOMETRY_KEY = "window/geometry"
SCREEN_SHARE = 0.9  # of the available screen, the first time


def place(window: QWidget) -> None:
    saved = QSettings().value(GEOMETRY_KEY)
    if saved is not None and window.restoreGeometry(saved):
        return
    screen = window.screen().availableGeometry()
    size = QSize(int(screen.width() * SCREEN_SHARE), int(screen.height() * SCREEN_SHARE))
    window.resize(size)
    window.move(screen.center() - QPoint(size.width() // 2, size.height() // 2))


def remember(window: QWidget) -> None:
    QSettings().setValue(GEOMETRY_KEY, window.saveGeometry())
