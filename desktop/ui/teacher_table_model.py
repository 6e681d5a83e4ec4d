"""The teachers table: built from the ordered ids of the current filter, rows fetched a page at a time.

The scrollbar is real (rowCount is the full count) and memory stays small at 200,000 teachers: only
the pages the user has looked at are held (anki's browser table model does the same).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.services.roster import TeacherRow
from desktop.ui.labels import code_label, vocab_label

PAGE_SIZE = 200

_Index = QModelIndex | QPersistentModelIndex


def _columns() -> list[tuple[str, Callable[[TeacherRow], str]]]:
    return [
        ("姓名", lambda r: r.name),
        ("性别", lambda r: code_label("gender", r.gender)),
        ("身份证号", lambda r: r.masked_id_number),
        ("学校", lambda r: r.school_name),
        ("乡镇", lambda r: r.township),
        ("学段", lambda r: code_label("stage", r.stage)),
        ("学科", lambda r: code_label("subject", r.subject)),
        ("职称", lambda r: code_label("title", r.title)),
        ("身份", lambda r: vocab_label("TeacherRole", r.role)),
        ("骨干", lambda r: vocab_label("BackboneLevel", r.backbone_level)),
        ("手机", lambda r: r.masked_phone),
        ("储备库", lambda r: "是" if r.in_reserve_pool else ""),
    ]


class TeacherTableModel(QAbstractTableModel):
    def __init__(self, fetch_rows: Callable[[Sequence[str]], list[TeacherRow]]) -> None:
        super().__init__()
        self._fetch_rows = fetch_rows
        self._columns = _columns()
        self._ids: list[str] = []
        self._cache: dict[str, TeacherRow] = {}

    # --- what the view asks -------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.tr(self._columns[section][0])
        return str(section + 1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        return self._columns[index.column()][1](row)

    # --- what the page uses --------------------------------------------------------------------
    def set_ids(self, ids: list[str]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._cache.clear()
        self.endResetModel()

    def extend_ids(self, ids: list[str]) -> None:
        """The whole list once the first page is on screen: rows are appended (the scrollbar grows, the
        visible rows stay) when it begins with the ids shown, else the model is reset."""
        shown = len(self._ids)
        if len(ids) < shown or ids[:shown] != self._ids:
            self.set_ids(ids)
        elif len(ids) > shown:
            self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
            self._ids = ids
            self.endInsertRows()

    def id_at(self, row: int) -> str:
        return self._ids[row]

    def row_at(self, row: int) -> TeacherRow | None:
        if not 0 <= row < len(self._ids):
            return None
        teacher_id = self._ids[row]
        if teacher_id not in self._cache:
            start = row - row % PAGE_SIZE
            for fetched in self._fetch_rows(self._ids[start : start + PAGE_SIZE]):
                self._cache[fetched.id] = fetched
        return self._cache.get(teacher_id)

    def forget(self, ids: Sequence[str]) -> None:
        """Drop cached rows that changed, so they are fetched again when next shown."""
        for teacher_id in ids:
            self._cache.pop(teacher_id, None)
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self._columns) - 1))
