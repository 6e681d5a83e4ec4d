"""Writing .xlsx files people open in Excel or WPS: a bold header, frozen, and text columns kept as
text so an ID number never turns into 4.40524E+17."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TEXT = "@"


def write_xlsx(
    path: Path,
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int] | None = None,
) -> int:
    """Write one sheet; every cell is stored as text or number exactly as given. Returns rows written."""
    workbook = Workbook(write_only=True)
    sheet: Worksheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.number_format = TEXT
            cells.append(cell)
        sheet.append(cells)
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return count
