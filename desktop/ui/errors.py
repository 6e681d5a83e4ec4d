"""The one place where errors become messages a person can act on (anki `aqt/errors.py`).

Two kinds, as the error tree (`guopei_common.errors`) has them: what the application expects — a
`UserError` (bad input, a rule refused, a missing permission) or the machine failing us (an
`EnvironmentFailure`) — is shown as a warning with its own message and logged without a traceback;
anything else is a bug, shown with the crash dialog that says where the log is, and logged whole.
A cancellation shows nothing."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.errors import Cancelled, GuopeiError

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def error_box(parent: QWidget | None, error: BaseException, *, log_path: Path | None) -> QMessageBox:
    """A message box for `error`: the error's own Chinese message for expected failures, and for bugs
    an apology that says where the log is, so support can be given the file."""
    box = QMessageBox(parent)
    box.setWindowTitle(_tr("国培桌面端"))
    if isinstance(error, GuopeiError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(str(error))
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        where = str(log_path) if log_path else _tr("（未能建立日志文件）")
        box.setText(_tr("程序出现了意外错误，刚才的操作可能没有完成。已保存的数据不受影响。"))
        box.setInformativeText(_tr("错误详情已记录在日志文件中，请将它发给技术支持：\n") + where)
        box.setDetailedText("".join(traceback.format_exception(error)))
    return box


def show_error(parent: QWidget | None, error: BaseException, *, log_path: Path | None) -> None:
    if isinstance(error, Cancelled):
        return
    if isinstance(error, GuopeiError):
        # Expected: the message is the whole story. Only its kind is logged (the message may quote an
        # ID number as it was typed), and no traceback.
        log.info("shown to the user: %s", type(error).__name__)
    else:
        log.error("unexpected error", exc_info=error)
    error_box(parent, error, log_path=log_path).exec()


def install_excepthook(log_path: Path, present: Callable[[BaseException], None] | None = None) -> None:
    """Route uncaught exceptions (including those raised in Qt slots) to the log and a dialog, so the
    app never dies or fails silently."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if issubclass(kind, Cancelled):
            return
        if issubclass(kind, GuopeiError):  # expected (a refusal raised by a read, say): no traceback
            log.info("shown to the user: %s", kind.__name__)
        else:
            log.error("uncaught exception", exc_info=(kind, error, tb))
        if present is not None:
            present(error)
        else:
            error_box(None, error, log_path=log_path).exec()

    sys.excepthook = hook
