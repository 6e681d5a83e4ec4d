"""Render every page of the main window to PNG (or, for a folder with no county yet, the first-start
page's steps), to look at the work and illustrate the README."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.ui.first_start import FirstStartPage
from desktop.ui.main_window import MainWindow


def render_pages(window: MainWindow, out_dir: Path, *, width: int, height: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    window.resize(width, height)
    window.show()
    written = []
    for index, spec in enumerate(window.specs, start=1):
        window.show_page(spec.key)
        QApplication.processEvents()
        path = out_dir / f"{index:02d}-{spec.key}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"无法写入截图 {path}")
        written.append(path)
    return written


def render_first_start(page: FirstStartPage, out_dir: Path, *, width: int, height: int) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    page.resize(width, height)
    page.show()
    written = []
    steps = [page.choices, page.connect_page, page.offline_page, page.restore_page]
    for index, (key, step) in enumerate(
        zip(("choices", "connect", "offline", "restore"), steps, strict=True), 1
    ):
        page.stack.setCurrentWidget(step)
        QApplication.processEvents()
        path = out_dir / f"{index:02d}-first-start-{key}.png"
        if not page.grab().save(str(path)):
            raise OSError(f"无法写入截图 {path}")
        written.append(path)
    return written
