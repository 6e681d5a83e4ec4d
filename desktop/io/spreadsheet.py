"""Reading a user's spreadsheet (.xlsx, legacy .xls, CSV in UTF-8 or GB18030) into rows of text
cells that remember their address, so every refusal can say where: "第 7 行 C 列（C7）"."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from desktop.errors import UserInputError

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
TEXT_SUFFIXES = {".csv", ".txt"}
# Header decorations people add: 身份证号（必填）, *姓名, 手机 (11位)
_DECORATION = re.compile(r"[\s*＊:：]|[（(][^）)]*[）)]")


class SpreadsheetError(UserInputError):
    """The file cannot be read as a table (wrong format, damaged, no header)."""


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Cell:
    row: int  # 1-based, as Excel numbers rows
    column: int  # 1-based
    value: str

    @property
    def address(self) -> str:
        return f"{column_letters(self.column)}{self.row}"

    @property
    def where(self) -> str:
        return f"第 {self.row} 行 {column_letters(self.column)} 列"


@dataclass(frozen=True)
class Sheet:
    path: Path
    sheet_name: str
    rows: list[list[Cell]]  # non-empty rows only, each keeping its true row number


@dataclass(frozen=True)
class HeaderMatch:
    row: int
    columns: dict[str, int]  # field -> 1-based column
    headers: dict[int, str]  # every header cell's text, by column


@dataclass(frozen=True)
class Record:
    row: int
    cells: dict[str, Cell]

    def value(self, field: str) -> str:
        cell = self.cells.get(field)
        return cell.value if cell else ""


def clean_text(value: str) -> str:
    """Full-width letters and digits to half-width (NFKC), surrounding spaces (incl. U+3000) gone."""
    return unicodedata.normalize("NFKC", value).strip()


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person sees in the cell.

    Long numbers keep Excel's display (4.40524188001010E+17): an ID number typed into a number cell
    has already lost its last digits, and the validator must see that and refuse it, not a guess."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            return f"{value:.14E}"
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return clean_text(str(value))


def _to_sheet(path: Path, name: str, raw_rows: list[list[object]]) -> Sheet:
    rows = []
    for row_number, raw in enumerate(raw_rows, start=1):
        cells = [Cell(row_number, column, cell_text(value)) for column, value in enumerate(raw, start=1)]
        if any(cell.value for cell in cells):
            rows.append(cells)
    if not rows:
        raise SpreadsheetError(f"文件 {path.name} 的工作表“{name}”是空的")
    return Sheet(path, name, rows)


def _read_excel(path: Path, sheet: str | int) -> Sheet:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        name = workbook.sheet_names[sheet] if isinstance(sheet, int) else sheet
        data = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except IndexError:
        raise SpreadsheetError(f"文件 {path.name} 中没有工作表") from None
    except Exception as error:  # calamine raises its own types for damaged and encrypted files
        raise SpreadsheetError(
            f"无法读取文件 {path.name}：文件已损坏、设有密码，或不是 Excel 文件（{type(error).__name__}）"
        ) from error
    return _to_sheet(path, name, data)


def _decode(path: Path, data: bytes) -> str:
    # Excel on a Chinese Windows saves "CSV" in GB18030 (GBK); WPS and newer Excel save UTF-8 with BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(f"无法识别文件 {path.name} 的文字编码：请在 Excel 中另存为“CSV UTF-8”后重试")


def _read_csv(path: Path) -> Sheet:
    text = _decode(path, path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _to_sheet(path, path.stem, list(csv.reader(io.StringIO(text), dialect)))


def read_sheet(path: Path, *, sheet: str | int = 0) -> Sheet:
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES | TEXT_SUFFIXES:
        raise SpreadsheetError(
            f"不支持的文件类型 {suffix or '（无扩展名）'}：请使用 .xlsx、.xls 或 .csv 文件"
        )
    if not path.exists():
        raise SpreadsheetError(f"找不到文件 {path}")
    return _read_excel(path, sheet) if suffix in EXCEL_SUFFIXES else _read_csv(path)


def normalise_header(text: str) -> str:
    return _DECORATION.sub("", clean_text(text))


def find_header(sheet: Sheet, synonyms: dict[str, tuple[str, ...]], *, search_rows: int = 10) -> HeaderMatch:
    """The header row, even under title rows: the first of the first rows matching the most fields."""
    lookup = {normalise_header(text): field for field, texts in synonyms.items() for text in texts}
    best: HeaderMatch | None = None
    for cells in sheet.rows[:search_rows]:
        columns: dict[str, int] = {}
        for cell in cells:
            field = lookup.get(normalise_header(cell.value))
            if field and field not in columns:
                columns[field] = cell.column
        if len(columns) >= 2 and (best is None or len(columns) > len(best.columns)):
            headers = {cell.column: cell.value for cell in cells if cell.value}
            best = HeaderMatch(cells[0].row, columns, headers)
    if best is None:
        raise SpreadsheetError(
            f"在文件 {sheet.path.name} 的前 {search_rows} 行中没有找到表头"
            "（需要包含如“姓名”“身份证号”等列名）"
        )
    return best


def records(sheet: Sheet, header: HeaderMatch, columns: dict[str, int] | None = None) -> Iterator[Record]:
    """Rows below the header as field -> Cell; `columns` overrides the detected mapping."""
    mapping = columns if columns is not None else header.columns
    for cells in sheet.rows:
        row = cells[0].row
        if row <= header.row:
            continue
        by_column = {cell.column: cell for cell in cells}
        yield Record(
            row,
            {field: by_column.get(column, Cell(row, column, "")) for field, column in mapping.items()},
        )
