"""How the UI changes data: an operation (anki's `CollectionOp`, `qt/aqt/operations/__init__.py`).

    Op(self, self.context, projects.set_status, project.id, following).success(...).run()

names a service function over a session and its arguments; the operation runs it in one unit of work
(`desktop.services.unit_of_work`), calls `success` with the function's value, then announces the tables
it changed (read from the session, never typed here) so that every page redraws only what it shows. A
failure was rolled back and goes to `show_error` in one place: a `UserError` as a warning with its
message, anything else as the crash dialog with the log.

`run_in_background()` puts slow work (printing, exports, imports) on the write lane with a progress
dialog; `run()` runs at once on the UI thread, for quick writes and for the check-in, whose 20 ms
from scan to green has no room for a thread hop (the one documented exception).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Generic, TypeVar

from PySide6.QtWidgets import QWidget

from desktop.services import unit_of_work
from desktop.services.unit_of_work import Done
from desktop.ui.context import AppContext
from desktop.ui.tasks import Reporter

T = TypeVar("T")


class Op(Generic[T]):
    def __init__(
        self, parent: QWidget, context: AppContext, work: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> None:
        self._parent = parent
        self._context = context
        self._work = work
        self._args = args
        self._kwargs = kwargs
        self._writes = True
        self._on_success: Callable[[T], object] | None = None
        self._on_failure: Callable[[BaseException], object] | None = None

    def success(self, callback: Callable[[T], object]) -> Op[T]:
        """Called with the service function's value, before the changes are announced."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], object]) -> Op[T]:
        """Called after the error was shown (to put a field back in focus, say)."""
        self._on_failure = callback
        return self

    def read_only(self) -> Op[T]:
        """The work only reads (a document written from the data): a snapshot, no write lock."""
        self._writes = False
        return self

    def run(self) -> bool:
        """Now, on the UI thread; True when it was done. Whatever failed was rolled back and is shown as
        on the background lane: a refusal as a warning, a bug with the crash dialog (and logged)."""
        try:
            done = self._execute(self._args, self._kwargs)
        except Exception as error:
            self._failed(error)
            return False
        self._succeeded(done)
        return True

    def run_or_raise(self) -> T:
        """Now, on the UI thread, for a form that shows a refusal beside its own fields: an error is
        raised to the caller instead of shown; the changes are announced as by `run()`."""
        done = self._execute(self._args, self._kwargs)
        self._succeeded(done)
        return done.value

    def run_in_background(self, title: str, *, with_progress: bool = False) -> None:
        """On the write lane, with a progress dialog after half a second. With `with_progress`, the work
        is also given `progress=` and `cancelled=` (Cancel sets the flag it checks)."""

        def work(reporter: Reporter) -> Done[T]:
            extra = {"progress": reporter.progress, "cancelled": reporter.cancelled} if with_progress else {}
            return self._execute(self._args, {**self._kwargs, **extra})

        self._context.runner.run(
            self._parent, title=title, work=work, on_done=self._succeeded, on_error=self._failed
        )

    def _execute(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Done[T]:
        if self._writes:
            return unit_of_work.change(self._context.db, self._work, *args, **kwargs)
        value = unit_of_work.read(self._context.db, self._work, *args, **kwargs)
        return Done(value, unit_of_work.Changes())

    def _succeeded(self, done: Done[T]) -> None:
        # The asking widget first (the check-in screen turns green), then every page that shows what
        # changed, as anki does.
        if self._on_success is not None:
            self._on_success(done.value)
        if done.changes:
            self._context.announce(replace(done.changes, initiator=self._parent))

    def _failed(self, error: BaseException) -> None:
        self._context.report_error(self._parent, error)
        if self._on_failure is not None:
            self._on_failure(error)
