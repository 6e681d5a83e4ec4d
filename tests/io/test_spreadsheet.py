"""Reading real spreadsheet files as a user's Excel or WPS would have written them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlwt

from desktop.errors import UserInputError
from desktop.io.spreadsheet import (
    Cell,
    HeaderMatch,
    Sheet,
    SpreadsheetError,
    cell_text,
    column_letters,
    find_header,
    read_sheet,
    records,
)

SYNONYMS = {
    "name": ("姓名",),
    "id_number": ("身份证号", "公民身份号码", "证件号码", "身份证号码"),
    "phone": ("手机", "联系电话"),
    "hired_on": ("入职日期",),
}


def _roster_xlsx(path: Path) -> Path:
    """The shape schools send: a merged title row, decorated headers, numbers typed into number cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "教师"
    sheet.append(["平塘县2026年教师名单"])
    sheet.merge_cells("A1:E1")
    sheet.append(["姓名", "身份证号（必填）", "联系电话", "入职日期", "备注"])
    sheet.append(["张三", 440524188001010014.0, 13812345678, dt.date(2008, 9, 1), True])
    sheet.append(
        ["  李四\u3000", "11010519491231002x", "１３８１２３４５６７８", dt.datetime(2010, 3, 5, 8, 30)]
    )
    sheet.append([None, None, None, None, None])
    sheet.append(["王五", "11010519491231002X", None, None, "  ＡＢＣ　"])
    workbook.save(path)
    return path


def test_xlsx_with_title_row_numeric_cells_and_full_width_digits(tmp_path: Path) -> None:
    data = read_sheet(_roster_xlsx(tmp_path / "名单.xlsx"))
    assert data.sheet_name == "教师"
    header = find_header(data, SYNONYMS)
    assert header.row == 2
    assert header.columns == {"name": 1, "id_number": 2, "phone": 3, "hired_on": 4}
    assert header.unmatched_headers == {5: "备注"}

    rows = list(records(data, header))
    assert [r.row for r in rows] == [3, 4, 6]  # the empty row 5 is skipped, the true numbers kept
    first, second, third = rows
    # The 18-digit number has lost its last digits in the float; Excel's display lets a validator refuse it.
    assert first.cells["id_number"].value == "4.40524188001010E+17"
    assert first.cells["id_number"].address == "B3"
    assert first.value("phone") == "13812345678"  # calamine gives 13812345678.0; no ".0" left
    assert first.value("hired_on") == "2008-09-01"
    assert second.value("name") == "李四"
    assert second.value("phone") == "13812345678"
    assert second.value("hired_on") == "2010-03-05 08:30:00"
    assert second.cells["phone"].where == "第 4 行 C 列"
    # A missing cell still has the address the user would look at.
    assert third.cells["phone"] == Cell(6, 3, "")
    assert third.cells["phone"].address == "C6"
    # Unmapped columns stay in the sheet, normalised like everything else.
    assert data.rows[-1][4] == Cell(6, 5, "ABC")
    assert data.rows[2][4] == Cell(3, 5, "是")  # row 3's bool


def test_legacy_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("教师")
    sheet.write(0, 0, "二〇二六年名单")
    for column, text in enumerate(["序号", "姓名", "公民身份号码", "手机", "入职日期"]):
        sheet.write(2, column, text)  # header on row 3, row 2 left blank
    sheet.write(3, 0, 1)
    sheet.write(3, 1, "赵六")
    sheet.write(3, 2, "11010519491231002X")
    sheet.write(3, 3, 13912345678)
    sheet.write(3, 4, dt.date(2015, 8, 31), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    book.save(str(path))

    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    assert header.row == 3
    assert header.unmatched_headers == {1: "序号"}
    (record,) = records(data, header)
    assert record.row == 4
    assert (record.value("name"), record.value("id_number")) == ("赵六", "11010519491231002X")
    assert record.value("phone") == "13912345678"
    assert record.value("hired_on") == "2015-08-31"
    assert record.cells["id_number"].address == "C4"


def test_xlsx_renamed_to_xls_still_opens(tmp_path: Path) -> None:
    renamed = tmp_path / "名单.xls"
    shutil.copy(_roster_xlsx(tmp_path / "名单.xlsx"), renamed)
    assert find_header(read_sheet(renamed), SYNONYMS).row == 2


def test_sheet_chosen_by_name_or_index(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["说明"])
    workbook.create_sheet("名单").append(["姓名", "身份证号"])
    workbook.save(path)
    assert read_sheet(path, sheet="名单").rows[0][1].value == "身份证号"
    assert read_sheet(path, sheet=1).sheet_name == "名单"
    with pytest.raises(SpreadsheetError, match="没有名为“教师”的工作表（现有：Sheet、名单）"):
        read_sheet(path, sheet="教师")
    with pytest.raises(SpreadsheetError, match="只有 2 个工作表"):
        read_sheet(path, sheet=2)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("gb18030", ","), ("utf-8-sig", ","), ("utf-8", ";"), ("utf-8-sig", "\t"), ("utf-16", "\t")],
)
def test_csv_in_the_encodings_excel_writes(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = tmp_path / "名单.csv"
    lines = [
        ["姓名", "身份证号", "手机"],
        ["曾小红", "11010519491231002X", "13700002222"],
        ["", "", ""],
        ["刘䶮", "", "１３９００００１１１１"],  # 䶮 exists in GB18030 but not in GBK
    ]
    path.write_bytes("\r\n".join(delimiter.join(line) for line in lines).encode(encoding))
    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    assert header.row == 1
    rows = list(records(data, header))
    assert [r.value("name") for r in rows] == ["曾小红", "刘䶮"]
    assert [r.row for r in rows] == [2, 4]
    assert rows[0].cells["phone"].address == "C2"
    assert rows[1].value("phone") == "13900001111"


def test_semicolon_csv_with_title_row_and_quoted_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text(
        '平塘县教师名单\n*姓名;身份证号码(必填);备注\n孙七;11010519491231002X;"调入;待审核"\n',
        encoding="utf-8",
    )
    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    assert header.row == 2
    assert header.unmatched_headers == {3: "备注"}
    assert data.rows[-1][2] == Cell(3, 3, "调入;待审核")


def test_damaged_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(
        SpreadsheetError, match=r"无法读取文件 坏文件\.xlsx：文件已损坏，或不是 Excel 表格"
    ) as caught:
        read_sheet(path)
    assert isinstance(caught.value, UserInputError)
    assert "Cannot" not in str(caught.value) and "format" not in str(caught.value)


def test_a_word_document_renamed_xlsx_is_named_as_one(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w") as document:  # the parts of a .docx that matter here
        document.writestr("[Content_Types].xml", "<Types/>")
        document.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(SpreadsheetError, match="这是 Word 文档") as caught:
        read_sheet(path)
    assert "Cannot" not in str(caught.value)


def test_a_japanese_shift_jis_csv_is_refused_for_its_encoding_not_its_header(tmp_path: Path) -> None:
    path = tmp_path / "名簿.csv"
    path.write_bytes("なまえ,しめい,がっこう\nやまだ たろう,123,ひがし小学校\n".encode("shift_jis"))
    with pytest.raises(SpreadsheetError, match="日文编码（Shift-JIS）"):
        read_sheet(path)


def test_chinese_gb18030_csv_is_not_taken_for_japanese(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    text = (
        "姓名,身份证号,学校,学段\n"
        "罗春燕,522727198503010022,克度镇中心小学,小学\n"
        "张三丰,522727198503020022,平舟镇中学,初中\n"
    )
    path.write_bytes(text.encode("gb18030"))
    assert read_sheet(path).rows[1][0].value == "罗春燕"


def test_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    # A stand-in with the two marks of an encrypted Office file (OLE signature, EncryptionInfo stream name);
    # building a real one needs a crypto library the project does not otherwise use.
    path = tmp_path / "加密.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le"))
    with pytest.raises(SpreadsheetError, match=r"加密\.xlsx 设有打开密码"):
        read_sheet(path)


def test_html_saved_as_xls_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_text("<html><table><tr><td>姓名</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="网页格式"):
        read_sheet(path)


def test_empty_workbook_and_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "空.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(SpreadsheetError, match=r"空\.xlsx 的工作表“Sheet”是空的"):
        read_sheet(path)
    blank = tmp_path / "空.csv"
    blank.write_bytes(b"\xef\xbb\xbf\r\n , \r\n")
    with pytest.raises(SpreadsheetError, match="是空的"):
        read_sheet(blank)


def test_unknown_type_missing_file_and_missing_header(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match=r"不支持的文件类型 \.pdf"):
        read_sheet(tmp_path / "x.pdf")
    with pytest.raises(SpreadsheetError, match="找不到文件"):
        read_sheet(tmp_path / "不存在.xlsx")
    path = tmp_path / "no-header.csv"
    path.write_text("姓名,年龄\n张三,30\n", encoding="utf-8")  # only one known field: not a header
    with pytest.raises(SpreadsheetError, match="前 10 行中没有找到表头"):
        find_header(read_sheet(path), SYNONYMS)


def test_header_beyond_search_rows_is_not_found(tmp_path: Path) -> None:
    rows = [[Cell(r, 1, f"说明{r}")] for r in range(1, 4)] + [[Cell(4, 1, "姓名"), Cell(4, 2, "身份证号")]]
    sheet = Sheet(tmp_path / "x.csv", "x", rows)
    assert find_header(sheet, SYNONYMS).row == 4
    with pytest.raises(SpreadsheetError, match="前 3 行"):
        find_header(sheet, SYNONYMS, search_rows=3)


def test_the_row_matching_most_fields_wins(tmp_path: Path) -> None:
    rows = [
        [Cell(1, 1, "姓名"), Cell(1, 2, "手机")],
        [Cell(2, 1, "姓名"), Cell(2, 2, "证件号码"), Cell(2, 3, "手机")],
        [Cell(3, 1, "姓名"), Cell(3, 2, "证件号码"), Cell(3, 3, "手机")],
    ]
    match = find_header(Sheet(tmp_path / "x.csv", "x", rows), SYNONYMS)
    assert match == HeaderMatch(
        2, {"name": 1, "id_number": 2, "phone": 3}, {1: "姓名", 2: "证件号码", 3: "手机"}
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (123, "123"),
        (13812345678.0, "13812345678"),
        (-5.0, "-5"),
        (0.1 + 0.2, "0.3"),
        (440524188001010014.0, "4.40524188001010E+17"),
        (1e15, "1.00000000000000E+15"),
        (True, "是"),
        (False, "否"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.datetime(2026, 1, 2), "2026-01-02"),
        (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02 03:04:05"),
        (dt.time(8, 30), "08:30:00"),
        (dt.timedelta(days=1, hours=6), "30:00:00"),
        ("\u3000ＡＢ１２\u3000 ", "AB12"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(("column", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")])
def test_column_letters(column: int, letters: str) -> None:
    assert column_letters(column) == letters
    assert Cell(7, column, "").address == f"{letters}7"
