"""A report (desktop.domain.report) as a formatted .xlsx: one sheet per table, a title row, a
bold shaded header frozen under it, column widths, thin borders, the 合计 row bold, and text cells kept
as text (an ID number never turns into 4.40524E+17)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from desktop.domain.report import Report, Table

TEXT = "@"
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E6E6E6")


def _sheet_names(tables: list[Table]) -> list[str]:
    """Excel's sheet names: at most 31 characters, unique, none of : \\ / ? * [ ]."""
    names: list[str] = []
    for table in tables:
        base = "".join("_" if c in ":\\/?*[]" else c for c in table.title)[:28] or "表"
        name, n = base, 2
        while name in names:
            name, n = f"{base[:26]}({n})", n + 1
        names.append(name)
    return names


def write_report_xlsx(report: Report, out: Path) -> int:
    """Write every table of the report; returns the number of data rows written (totals excluded)."""
    tables = [table for section in report.sections for table in section.tables]
    workbook = Workbook()
    workbook.remove(workbook.active)
    written = 0
    for table, name in zip(tables, _sheet_names(tables), strict=True):
        sheet = workbook.create_sheet(name)
        sheet.append([f"{report.title} — {table.title}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(table.headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = _HEAD_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in table.rows:
            sheet.append(row)
        if table.totals is not None:
            sheet.append(table.totals)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row):
            for cell in row:
                cell.border = _BORDER
                if isinstance(cell.value, str):
                    cell.number_format = TEXT
        for column, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A3"  # title and header stay while scrolling
        sheet.print_title_rows = "2:2"
        written += len(table.rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return written
