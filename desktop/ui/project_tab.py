"""What the tabs of the projects page share: the page's current project, and writing with errors
shown and the change announced."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.errors import GuopeiError
from desktop.services.projects import ProjectRow
from desktop.ui.context import AppContext
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.operations import Op
from desktop.ui.preview_dialog import PreviewDialog, PreviewSpec

ACTOR = "县教师发展中心"


class ProjectTab(QWidget):
    def __init__(self, context: AppContext, current_project: Callable[[], ProjectRow | None]) -> None:
        super().__init__()
        self.context = context
        self.current_project = current_project

    def show_project(self, project: ProjectRow) -> None:
        """Redraw for `project` (called when the tab or the project changes)."""
        raise NotImplementedError

    def arrange(self, main: QWidget, buttons: FlowLayout) -> None:
        """The tab's main view above its row of buttons (which wraps on a small screen), as every tab of
        the page is laid out."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(main, 1)
        layout.addLayout(buttons)

    def _change(self, work: Callable[..., object], /, *args: Any, **kwargs: Any) -> bool:
        """Run a service function as an operation now; True when it was done (a refusal is shown)."""
        return Op(self, self.context, work, *args, **kwargs).run()

    def preview_file(
        self, path: Path, make_spec: Callable[[ProjectRow, Path], PreviewSpec]
    ) -> PreviewDialog | None:
        """Check a file against the current project (nothing written) and show the row-by-row verdict."""
        project = self.current_project()
        if project is None:
            return None
        try:
            spec = make_spec(project, path)
        except GuopeiError as error:
            self.context.report_error(self, error)
            return None
        dialog = PreviewDialog(self, self.context, spec)
        dialog.open()
        return dialog
