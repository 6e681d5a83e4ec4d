"""A file checked row by row before anything is written: green rows will be applied, red rows are
refused with the reason; applying is one transaction. Used for a school's application list and for
online-learning hours."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui import dialog_fit
from desktop.ui.context import AppContext
from desktop.ui.operations import Op
from desktop.ui.widgets import fill_table, read_only_table


@dataclass(frozen=True)
class PreviewSpec:
    title: str
    summary: str
    headers: Sequence[str]
    rows: Sequence[tuple[Sequence[str], bool]]  # cells, accepted
    apply_label: str
    # The service function that writes the accepted rows and returns how many, run as an operation
    # with these arguments after the session.
    apply: Callable[..., int]
    apply_args: Sequence[Any]
    done_message: str  # with {n}
    save_refused: Callable[[Path], int] | None = None
    apply_kwargs: Mapping[str, Any] = field(default_factory=dict)


class PreviewDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: AppContext, spec: PreviewSpec) -> None:
        super().__init__(parent)
        self.context = context
        self.spec = spec
        self.setWindowTitle(spec.title)
        summary = QLabel(spec.summary)
        summary.setObjectName("sectionTitle")
        self.table = read_only_table([self.tr(h) for h in spec.headers], stretch=len(spec.headers) - 1)
        fill_table(self.table, [cells for cells, _ in spec.rows])
        for row, (_, accepted) in enumerate(spec.rows):
            colour = QColor("#e8f6ec" if accepted else "#fdecea")
            for column in range(self.table.columnCount()):
                self.table.item(row, column).setBackground(colour)
        accepted = sum(1 for _, ok in spec.rows if ok)
        self.apply_button = QPushButton(spec.apply_label)
        self.apply_button.setEnabled(accepted > 0)
        self.apply_button.clicked.connect(self.apply)
        buttons = QHBoxLayout()
        if spec.save_refused is not None:
            save = QPushButton(self.tr("保存被拒绝的行…"))
            save.setEnabled(accepted < len(spec.rows))
            save.clicked.connect(self.choose_refused_file)
            buttons.addWidget(save)
        buttons.addStretch(1)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.reject)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close)
        layout = QVBoxLayout()
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        dialog_fit.lay_out(self, layout, buttons, preferred=QSize(1000, 580))

    def apply(self) -> None:
        def applied(count: int) -> None:
            self.context.inform(self, self.spec.title, self.spec.done_message.format(n=count))
            self.accept()

        # A refusal (the data changed since the preview, say) is shown and the dialog stays open.
        spec = self.spec
        Op(self, self.context, spec.apply, *spec.apply_args, **spec.apply_kwargs).success(applied).run()

    def choose_refused_file(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("保存被拒绝的行"), "被拒绝的行.xlsx", "Excel (*.xlsx)"
        )
        if chosen:
            self.save_refused(Path(chosen))

    def save_refused(self, out: Path) -> None:
        assert self.spec.save_refused is not None
        count = self.spec.save_refused(out)
        self.context.inform(
            self, self.spec.title, self.tr("已保存 {n} 行到 {path}").format(n=count, path=out)
        )
