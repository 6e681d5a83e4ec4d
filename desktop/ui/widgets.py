"""Small widget helpers shared by the pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


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
