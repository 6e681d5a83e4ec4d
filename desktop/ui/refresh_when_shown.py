"""Pages whose figures are costly to count: redrawn at once when a change touches them and they are on
screen, otherwise when they are next shown (every check-in writes the outbox, which the dashboard counts).
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent

from desktop.ui.context import Changes


class RefreshWhenShown:
    """Mixed into a page (before QWidget) that has `WATCHED` tables and a `refresh()`; call
    `watch_changes(context)` at the end of its __init__."""

    WATCHED: tuple[str, ...] = ()

    def watch_changes(self, context) -> None:
        self._stale = False
        context.changed.connect(self.on_changes)
        self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if not changes.touches(*self.WATCHED):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        raise NotImplementedError
