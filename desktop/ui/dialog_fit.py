"""Dialogs that fit the screen they open on: the body scrolls, the button row stays below it.

A county laptop at 1366×768 with 125–150 % scaling leaves 900×500 logical pixels or less; a dialog
sized for a desktop monitor would put its 保存/关闭 under the taskbar, where nobody can press them."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFrame, QLayout, QScrollArea, QStyle, QVBoxLayout, QWidget

# What the window frame (title bar, borders) takes beyond the dialog's own area.
FRAME_ALLOWANCE = QSize(16, 48)


def lay_out(
    dialog: QDialog, body: QLayout, buttons: QWidget | QLayout, *, preferred: QSize | None = None
) -> None:
    """Put `body` in a scroll area above `buttons`, and size the dialog to `preferred` (else to what the
    body asks for), never beyond the available screen."""
    inner = QWidget()
    inner.setLayout(body)
    area = QScrollArea()
    area.setObjectName("dialogBody")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(inner)
    outer = QVBoxLayout(dialog)
    outer.addWidget(area, 1)
    if isinstance(buttons, QLayout):
        outer.addLayout(buttons)
    else:
        outer.addWidget(buttons)

    scrollbar = dialog.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    margins = outer.contentsMargins()
    natural = inner.sizeHint() + QSize(
        margins.left() + margins.right() + scrollbar,
        margins.top() + margins.bottom() + outer.spacing() + buttons.sizeHint().height(),
    )
    fit_to_screen(dialog, preferred if preferred is not None else natural)
    dialog.installEventFilter(_KeepOnScreen(dialog))


def fit_to_screen(dialog: QWidget, wanted: QSize) -> None:
    """Resize to `wanted`, bounded by the available area of the screen the dialog will open on."""
    available = available_size(dialog)
    dialog.resize(wanted.boundedTo(available))


class _KeepOnScreen(QObject):
    """Centred over a window larger than the screen, Qt may place a dialog that fits the screen with an
    edge (and its buttons) past it: moved back when shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            screen = watched.screen().availableGeometry()
            frame = watched.frameGeometry()
            dx = max(screen.left() - frame.left(), min(0, screen.right() - frame.right()))
            dy = max(screen.top() - frame.top(), min(0, screen.bottom() - frame.bottom()))
            if dx or dy:
                watched.move(watched.pos() + QPoint(dx, dy))
        return False


def available_size(widget: QWidget) -> QSize:
    parent = widget.parentWidget()
    screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    return screen.availableGeometry().size() - FRAME_ALLOWANCE
