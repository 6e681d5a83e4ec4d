"""Reading a user's spreadsheet (.xlsx, legacy .xls, CSV in UTF-8 or GB18030) into rows of text
cells that remember their address, so every refusal can say where: "第 7 行 C 列（C7）"."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from desktop.errors import UserInputError

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
TEXT_SUFFIXES = {".csv", ".txt"}
# Header decorations people add: 身份证号（必填）, *姓名, 手机 (11位), 【选填】学历. Applied after NFKC,
# which has already turned （）＊： into ()*:.
_DECORATION = re.compile(r"[\s*:]|\([^)]*\)|【[^】]*】|\[[^\]]*\]")
# An Office file with a password is not a zip but an OLE container holding an "EncryptionInfo" stream;
# calamine only says "invalid zip" about it, which would send the user looking for damage that is not there.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# Beyond 15 significant digits Excel has already rounded the number away (ID numbers typed as numbers).
_EXACT_LIMIT = 1e15


class SpreadsheetError(UserInputError):
    """The file cannot be read as a table (wrong format, damaged, no header)."""


def column_letters(column: int) -> str:
    """1 -> "A", 27 -> "AA": bijective base 26, which is why it is divmod(column - 1, 26)."""
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
    headers: dict[int, str]  # every non-empty header cell's text, by column (for the mapping dialog)

    @property
    def unmatched_headers(self) -> dict[int, str]:
        """Header texts no field claimed, by column: what the user may want to map by hand."""
        claimed = set(self.columns.values())
        return {column: text for column, text in self.headers.items() if column not in claimed}


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
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if abs(value) >= _EXACT_LIMIT:
            return f"{value:.14E}"
        if value.is_integer():
            return str(int(value))
        return f"{value:.15g}"  # Excel keeps 15 significant digits; repr would show binary noise
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):  # durations over a day, shown as Excel's [h]:mm:ss
        minutes, seconds = divmod(round(value.total_seconds()), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return clean_text(str(value))


def _to_sheet(path: Path, name: str, raw_rows: list[list[object]]) -> Sheet:
    rows = []
    for row_number, raw in enumerate(raw_rows, start=1):
        cells = [Cell(row_number, column, cell_text(value)) for column, value in enumerate(raw, start=1)]
        if any(cell.value for cell in cells):
            rows.append(cells)
    if not rows:
        raise SpreadsheetError(f"文件 {path.name} 的工作表“{name}”是空的，没有任何内容")
    return Sheet(path, name, rows)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SpreadsheetError(f"找不到文件 {path}") from None
    except OSError as error:  # on Windows, typically the file is open in Excel or WPS
        raise SpreadsheetError(
            f"无法打开文件 {path.name}：文件可能正在 Excel 或 WPS 中打开，请关闭后重试（{error.strerror}）"
        ) from error


def _sheet_name(path: Path, workbook: CalamineWorkbook, sheet: str | int) -> str:
    names = workbook.sheet_names
    if not names:
        raise SpreadsheetError(f"文件 {path.name} 中没有工作表")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SpreadsheetError(f"文件 {path.name} 只有 {len(names)} 个工作表，没有第 {sheet + 1} 个")
        return names[sheet]
    if sheet not in names:
        raise SpreadsheetError(f"文件 {path.name} 中没有名为“{sheet}”的工作表（现有：{'、'.join(names)}）")
    return sheet


def _read_excel(path: Path, sheet: str | int) -> Sheet:
    data = _read_bytes(path)
    if data.startswith(_OLE_MAGIC) and _ENCRYPTION_STREAM in data:
        raise SpreadsheetError(f"文件 {path.name} 设有打开密码：请在 Excel 中取消密码后另存，再导入")
    if data[:512].lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"<":  # the strip includes a UTF-8 BOM
        # Many online systems export an HTML table named .xls; Excel opens it, calamine cannot.
        raise SpreadsheetError(
            f"文件 {path.name} 实际上是网页格式，不是真正的 Excel 文件：请用 Excel 打开后另存为 .xlsx，再导入"
        )
    try:
        # From bytes rather than from the path: calamine then detects the format from the content, so a
        # .xls that is really .xlsx (renamed by hand, common) still opens.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        name = _sheet_name(path, workbook, sheet)
        # skip_empty_area=False pads from A1; the default starts at the first used cell, which would
        # shift every row and column number the user is told about.
        raw_rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except PasswordError:
        raise SpreadsheetError(f"文件 {path.name} 设有密码：请在 Excel 中取消密码后另存，再导入") from None
    except CalamineError as error:
        # calamine's own words are English ("Cannot detect file format"): say what the file is instead.
        if b"word/document.xml" in data:
            what = "这是 Word 文档，不是 Excel 表格（扩展名被改过）：请打开正确的名单表格"
        else:
            what = "文件已损坏，或不是 Excel 表格：请用 Excel 或 WPS 打开后另存为 .xlsx，再导入"
        raise SpreadsheetError(f"无法读取文件 {path.name}：{what}") from error
    return _to_sheet(path, name, raw_rows)


def _decode(path: Path, data: bytes) -> str:
    # Excel's "Unicode 文本 (.txt)" is UTF-16 with a BOM; WPS and newer Excel save UTF-8 with a BOM;
    # Excel on a Chinese Windows saves plain "CSV" in GB18030 (GBK).
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
        if _looks_japanese(data):
            # GB18030 decodes almost any bytes: a Shift-JIS file would come out as nonsense Chinese and
            # be reported as having no header.
            raise SpreadsheetError(
                f"文件 {path.name} 是日文编码（Shift-JIS），不能导入：请在 Excel 中另存为“CSV UTF-8”后重试"
            )
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(f"无法识别文件 {path.name} 的文字编码：请在 Excel 中另存为“CSV UTF-8”后重试")


def _looks_japanese(data: bytes) -> bool:
    """Shift-JIS text with kana. Chinese GB18030 bytes read as Shift-JIS give half-width katakana (their
    lead bytes B0–DF are single half-width kana there), never hiragana or full-width katakana."""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("shift_jis")
    except UnicodeDecodeError:
        return False
    kana = sum(1 for char in text if "\u3040" <= char <= "\u30ff")
    half_width = sum(1 for char in text if "\uff61" <= char <= "\uff9f")
    return kana >= 2 and kana > half_width


def _read_csv(path: Path) -> Sheet:
    text = _decode(path, _read_bytes(path))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:  # a single column, or too little text to tell
        dialect = csv.excel
    try:
        raw_rows: list[list[object]] = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise SpreadsheetError(f"无法读取文件 {path.name}：不是有效的 CSV 文本（{error}）") from error
    return _to_sheet(path, path.stem, raw_rows)


def read_sheet(path: Path, *, sheet: str | int = 0) -> Sheet:
    """One sheet of the file as text cells; `sheet` is a 0-based index or a sheet name (CSV: ignored)."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if suffix in TEXT_SUFFIXES:
        return _read_csv(path)
    raise SpreadsheetError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请使用 .xlsx、.xls 或 .csv 文件")


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
            if field and field not in columns:  # a repeated header keeps its first column
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
    """Rows below the header as field -> Cell; `columns` overrides the detected mapping (chosen by hand)."""
    mapping = columns if columns is not None else header.columns
    for cells in sheet.rows:  # already free of empty rows
        row = cells[0].row
        if row <= header.row:
            continue
        by_column = {cell.column: cell for cell in cells}
        yield Record(
            row,
            {field: by_column.get(column, Cell(row, column, "")) for field, column in mapping.items()},
        )
