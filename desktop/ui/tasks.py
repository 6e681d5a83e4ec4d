"""Long work off the UI thread, with a progress dialog that appears only after half a second and a
Cancel button that the work checks (anki `qt/aqt/taskman.py`, `progress.py`).

Work receives a `Reporter`, never a widget; it opens its own database session and returns plain
values. Tests run the same code synchronously (`TaskRunner(synchronous=True)`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.errors import Cancelled

SHOW_AFTER_MS = 500


class Reporter:
    """What work may do to the user interface: say how far it is, and ask whether to stop."""

    def __init__(self, emit: Callable[[int, int, str], None]) -> None:
        self._emit = emit
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, message: str = "") -> None:
        """How far the work is; `message`, when given, replaces the dialog's text (what it is doing)."""
        self._emit(done, total, message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[Reporter], Any], reporter: Reporter, signals: _Signals) -> None:
        super().__init__()
        self.work, self.reporter, self.signals = work, reporter, signals

    def run(self) -> None:
        try:
            result = self.work(self.reporter)
        except BaseException as error:  # handed to the UI thread, which shows it in one place
            self.signals.failed.emit(error)
        else:
            self.signals.done.emit(result)


class TaskRunner:
    def __init__(self, *, synchronous: bool = False) -> None:
        self.synchronous = synchronous
        self._pool = QThreadPool()
        # One lane for work that writes: SQLite has one writer, and order matters.
        self._pool.setMaxThreadCount(1)
        # Reads that feed a page (the home page's charts) beside it: WAL lets them run while a write
        # goes on, and they never queue behind, or ahead of, the write lane.
        self._readers = QThreadPool()
        self._readers.setMaxThreadCount(1)
        self._live: set[_Signals] = set()

    def run(
        self,
        parent: QWidget,
        *,
        title: str,
        work: Callable[[Reporter], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        if self.synchronous:
            try:
                result = work(Reporter(lambda _done, _total, _message: None))
            except Cancelled:
                return
            except BaseException as error:
                on_error(error)
                return
            on_done(result)
            return

        signals = _Signals()
        dialog = QProgressDialog(title, parent.tr("取消"), 0, 0, parent)
        dialog.setWindowTitle(title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(SHOW_AFTER_MS)
        reporter = Reporter(signals.progress.emit)
        dialog.canceled.connect(reporter.cancel)

        def show_progress(done: int, total: int, message: str) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)
            if message:
                dialog.setLabelText(message)

        def finish() -> None:
            dialog.reset()
            dialog.deleteLater()
            self._live.discard(signals)

        def succeeded(result: object) -> None:
            finish()
            on_done(result)

        def failed(error: BaseException) -> None:
            finish()
            if not isinstance(error, Cancelled):
                on_error(error)

        signals.progress.connect(show_progress)
        signals.done.connect(succeeded)
        signals.failed.connect(failed)
        self._live.add(signals)  # keep the signal object alive until the job reports back
        self._pool.start(_Job(work, reporter, signals))

    def read_quietly(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """A read slower than a page should wait for, with no dialog: the page shows what it has and
        fills in when the answer comes (the home page's charts in a county of 200,000 teachers)."""
        if self.synchronous:
            try:
                result = work()
            except BaseException as error:
                on_error(error)
                return
            on_done(result)
            return
        signals = _Signals()

        def finish() -> None:
            self._live.discard(signals)

        signals.done.connect(lambda result: (finish(), on_done(result)))
        signals.failed.connect(lambda error: (finish(), on_error(error)))
        self._live.add(signals)
        self._readers.start(_Job(lambda _reporter: work(), Reporter(lambda *_: None), signals))

    def settle(self, timeout_ms: int = 5000) -> None:
        """Let queued work finish and its results reach the widgets (a screenshot waits for this)."""
        self._pool.waitForDone(timeout_ms)
        self._readers.waitForDone(timeout_ms)
        QCoreApplication.processEvents()
