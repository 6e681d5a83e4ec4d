"""Render every page of the main window to PNG, then every dialog at the size it opens with on this
screen (or, for a folder with no county yet, the first-start page's steps), to look at the work and
illustrate the README."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from desktop.ui.first_start import FirstStartPage
from desktop.ui.main_window import MainWindow


def render_pages(window: MainWindow, out_dir: Path, *, width: int, height: int) -> list[Path]:
    def show(key: str) -> None:
        window.show_page(key)
        window.context.runner.settle()  # e.g. the home page's charts, counted off the UI thread

    views = [(spec.key, lambda key=spec.key: show(key)) for spec in window.specs]
    return _render(window, views, out_dir, width=width, height=height)


def render_dialogs(window: MainWindow, out_dir: Path, *, first_index: int) -> list[Path]:
    """Each dialog of `dialog_gallery`, as `NN-dialog-name.png`, numbered on from the pages."""
    from desktop.ui.dialog_gallery import sample_dialogs

    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, (name, dialog) in enumerate(sample_dialogs(window, Path(scratch)), start=first_index):
            dialog.show()
            window.context.runner.settle()  # e.g. the import dialog's preview of the file
            QApplication.processEvents()
            path = out_dir / f"{index:02d}-{name}.png"
            saved = dialog.grab().save(str(path))
            dialog.done(0)
            dialog.deleteLater()
            if not saved:
                raise OSError(f"无法写入截图 {path}")
            written.append(path)
    return written


def render_lock_screens(window: MainWindow, out_dir: Path, *, first_index: int) -> list[Path]:
    """The login screen, and (when someone is logged in) the idle lock, as `NN-login.png`, `NN-lock.png`;
    the window is left as it was."""
    shown = window.screens.currentWidget()
    operator = window.context.db.operator
    window.lock_screen.show_login()
    views = [("login", lambda: window.screens.setCurrentWidget(window.lock_screen))]
    if operator is not None:
        views.append(("lock", lambda: window.lock_screen.show_lock(operator)))
    written = []
    for index, (name, show) in enumerate(views, start=first_index):
        show()
        QApplication.processEvents()
        path = out_dir / f"{index:02d}-{name}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"无法写入截图 {path}")
        written.append(path)
    window.screens.setCurrentWidget(shown)
    return written


def render_first_start(page: FirstStartPage, out_dir: Path, *, width: int, height: int) -> list[Path]:
    steps = {
        "first-start-choices": page.choices,
        "first-start-connect": page.connect_page,
        "first-start-offline": page.offline_page,
        "first-start-restore": page.restore_page,
    }
    views = [(name, lambda step=step: page.stack.setCurrentWidget(step)) for name, step in steps.items()]
    return _render(page, views, out_dir, width=width, height=height)


def _render(
    window: QWidget,
    views: Iterable[tuple[str, Callable[[], None]]],
    out_dir: Path,
    *,
    width: int,
    height: int,
) -> list[Path]:
    """Show each view in turn and save the window as `NN-name.png`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    window.resize(width, height)
    window.show()
    written = []
    for index, (name, show) in enumerate(views, start=1):
        show()
        QApplication.processEvents()
        path = out_dir / f"{index:02d}-{name}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"无法写入截图 {path}")
        written.append(path)
    return written
