"""The idle lock over open dialogs. A lock that fired while a dialog was open (a teacher's file with the
full ID number, a half-filled form) would otherwise leave the dialog on top of the locked window,
readable and usable. Each open dialog is covered by an opaque sheet, and the password is asked in a
modal lock dialog above them all; the dialogs are neither closed nor hidden (hiding would end a
dialog's exec() and lose what was typed), so each is as it was once the same operator unlocks."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget

from desktop.domain.roles import Operator
from desktop.ui.context import AppContext
from desktop.ui.lock_screen import LockScreen


class _Cover(QLabel):
    """An opaque sheet over one dialog's contents that follows the dialog's size."""

    def __init__(self, dialog: QWidget) -> None:
        super().__init__(self.tr("已锁定"), dialog)
        self.setObjectName("lockCover")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(dialog.rect())
        dialog.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False


class _LockDialog(QDialog):
    """Esc and the title bar's close button would be a way past the lock: it closes only when unlocked."""

    def reject(self) -> None:
        pass

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()


# Windows a lock covers: dialogs and other windows of the application, not pop-ups or tooltips.
_WINDOWS = {Qt.WindowType.Dialog, Qt.WindowType.Sheet, Qt.WindowType.Window}


class ModalLock(QObject):
    """Engaged by the main window's lock when other windows are open; `unlocked` once the operator
    who was logged in gives the password again."""

    unlocked = Signal(object)  # the Operator

    def __init__(self, context: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.context = context
        self.window = window
        self.covers: list[_Cover] = []
        self.dialog: _LockDialog | None = None
        self.screen: LockScreen | None = None

    def open_windows(self) -> list[QWidget]:
        return [
            widget
            for widget in QApplication.topLevelWidgets()
            if widget.isVisible()
            and widget is not self.window
            and widget is not self.dialog
            and widget.windowType() in _WINDOWS
        ]

    def engage(self, operator: Operator) -> bool:
        """Cover every open dialog and ask the password above them; False when none is open."""
        if self.dialog is not None:
            return True
        windows = self.open_windows()
        if not windows:
            return False
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()  # an open drop-down list would stay above the covers
        self.covers = [_Cover(window) for window in windows]
        above = QApplication.activeModalWidget() or windows[-1]
        self.dialog = _LockDialog(above)
        self.dialog.setObjectName("modalLock")
        self.dialog.setWindowTitle(self.tr("已锁定"))
        self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.screen = LockScreen(self.context)
        self.screen.show_lock(operator)
        # The dialogs under the cover are this operator's: another one logs in once they are closed.
        self.screen.switch.setVisible(False)
        self.screen.unlocked.connect(self._unlocked)
        layout = QVBoxLayout(self.dialog)
        layout.addWidget(self.screen)
        self.dialog.resize(520, 360)
        self.dialog.show()  # a new modal window opens above the others
        self.dialog.activateWindow()
        self.screen.password.setFocus()
        return True

    def release(self) -> None:
        """Uncover the dialogs and close the lock dialog (also when the window's own lock screen was
        the one unlocked)."""
        for cover in self.covers:
            if cover.parentWidget() is not None:
                cover.parentWidget().removeEventFilter(cover)
            cover.deleteLater()
        self.covers = []
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.hide()
            dialog.deleteLater()
            self.screen = None

    def _unlocked(self, operator: Operator) -> None:
        self.release()
        self.unlocked.emit(operator)
