"""Locks the window after a time without a key press or a click (the county's setting, 15 minutes
by default). A venue laptop that keeps scanning never locks: a scanner types, and typing is activity."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleLock(QObject):
    def __init__(self, lock: Callable[[], None], *, minutes: float) -> None:
        super().__init__()
        self._lock = lock
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._lock)
        self.set_minutes(minutes)
        QApplication.instance().installEventFilter(self)

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes
        self.timer.setInterval(max(1, round(minutes * 60_000)))
        self.restart()

    def restart(self) -> None:
        """Counting from now (a login, an unlock, any activity); 0 minutes: never lock."""
        if self.minutes > 0:
            self.timer.start()
        else:
            self.timer.stop()

    def pause(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()  # restarts the countdown
        return False

    def stop(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)
