"""Small widget helpers shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import style


def ok_cancel(dialog: QDialog, on_ok: Callable[[], None] | None = None) -> QDialogButtonBox:
    """确定 / 取消 for a dialog: 取消 rejects it; 确定 accepts it, or calls `on_ok`, which checks the
    input first and accepts only when it is right."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(on_ok or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def read_only_table(
    headers: Sequence[str], *, stretch: int | None = None, multi: bool = False
) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    mode = (
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setSelectionMode(mode)
    table.verticalHeader().setVisible(False)
    style.dense(table)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(
    table: QTableWidget, rows: Sequence[Sequence[str]], *, keys: Sequence[str] | None = None
) -> None:
    """Replace the table's rows; `keys` (e.g. ids) are kept on each row's first cell."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c == 0 and keys is not None:
                item.setData(Qt.ItemDataRole.UserRole, keys[r])
            table.setItem(r, c, item)


def selected_keys(table: QTableWidget) -> list[str]:
    rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
    return [table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in rows]


def choose_spreadsheet(parent: QWidget, title: str) -> Path | None:
    """Ask for a spreadsheet a school or a platform sent (.xlsx, legacy .xls, CSV)."""
    chosen, _ = QFileDialog.getOpenFileName(
        parent, title, "", parent.tr("表格文件 (*.xlsx *.xls *.csv);;所有文件 (*)")
    )
    return Path(chosen) if chosen else None


class EmptyState(QFrame):
    """What a list shows when there is nothing in it yet: what is missing and the button that fixes
    it (no teachers yet → 导入花名册), instead of an empty grid."""

    def __init__(
        self, title: str, hint: str, actions: Sequence[tuple[str, Callable[[], object]]] = ()
    ) -> None:
        super().__init__()
        self.setObjectName("emptyState")
        self.title = QLabel(title, objectName="emptyTitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(hint, objectName="emptyHint", alignment=Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.buttons: list[QPushButton] = []
        row = QHBoxLayout()
        row.addStretch(1)
        for index, (caption, slot) in enumerate(actions):
            button = QPushButton(caption)
            button.setProperty("primary", index == 0)
            button.clicked.connect(slot)
            self.buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addStretch(2)


class EmptyOr(QStackedWidget):
    """A list and its empty state in one place of the layout; `show_empty` switches between them."""

    def __init__(self, content: QWidget, empty: EmptyState) -> None:
        super().__init__()
        self.content = content
        self.empty = empty
        self.addWidget(content)
        self.addWidget(empty)

    def show_empty(self, empty: bool) -> None:
        self.setCurrentWidget(self.empty if empty else self.content)
