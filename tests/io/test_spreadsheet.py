"""Reading real spreadsheet files as a user's Excel or WPS would have written them."""

from __future__ import annotations

import datetime as dt
import os

import openpyxl
import pytest
import xlwt

from desktop.io.spreadsheet import SpreadsheetError, find_header, read_sheet, records

SYNONYMS = {"name": ("姓名",), "id_number": ("身份证号", "公民身份号码"), "phone": ("手机", "联系电话")}


def test_xlsx_with_title_row_numeric_cells_and_full_width_digits(tmp_path):
    path = tmp_path / "名单.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["平塘县2026年教师名单"])
    sheet.merge_cells("A1:D1")
    sheet.append(["姓名", "身份证号（必填）", "联系电话", "入职日期"])
    sheet.append(["张三", 440524188001010014.0, 13812345678, dt.date(2008, 9, 1)])
    sheet.append(["  李四\u3000", "11010519491231002x", "１３９００００１１１１", None])
    sheet.append([None, None, None, None])
    sheet.append(["王五", "11010519491231002X", "", ""])
    workbook.save(path)

    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    assert header.row == 2
    assert header.columns == {"name": 1, "id_number": 2, "phone": 3}
    rows = list(records(data, header))
    assert [r.row for r in rows] == [3, 4, 6]  # the empty row 5 is skipped, numbers kept
    first, second = rows[0], rows[1]
    assert first.cells["id_number"].value == "4.40524188001010E+17"  # Excel's display; digits lost
    assert first.cells["id_number"].address == "B3"
    assert first.cells["phone"].value == "13812345678"
    assert second.value("name") == "李四"
    assert second.value("phone") == "13900001111"
    assert second.cells["phone"].where == "第 4 行 C 列"


def test_legacy_xls(tmp_path):
    path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("教师")
    for column, text in enumerate(["序号", "姓名", "公民身份号码"]):
        sheet.write(0, column, text)
    sheet.write(1, 0, 1)
    sheet.write(1, 1, "赵六")
    sheet.write(1, 2, "11010519491231002X")
    book.save(str(path))
    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    record = next(records(data, header))
    assert (record.value("name"), record.value("id_number")) == ("赵六", "11010519491231002X")
    assert record.cells["id_number"].address == "C2"


@pytest.mark.parametrize(("encoding", "delimiter"), [("gb18030", ","), ("utf-8-sig", ","), ("utf-8", ";")])
def test_csv_in_the_encodings_excel_writes(tmp_path, encoding, delimiter):
    path = tmp_path / "名单.csv"
    lines = [["姓名", "身份证号", "手机"], ["曾小红", "11010519491231002X", "13700002222"], ["刘䶮", "", ""]]
    path.write_bytes("\r\n".join(delimiter.join(line) for line in lines).encode(encoding))
    data = read_sheet(path)
    header = find_header(data, SYNONYMS)
    rows = list(records(data, header))
    assert [r.value("name") for r in rows] == ["曾小红", "刘䶮"]
    assert rows[0].cells["phone"].address == "C2"


def test_damaged_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(SpreadsheetError, match=r"坏文件\.xlsx"):
        read_sheet(path)


def test_unknown_type_and_missing_header(tmp_path):
    with pytest.raises(SpreadsheetError, match=r"不支持的文件类型 \.pdf"):
        read_sheet(tmp_path / "x.pdf")
    path = tmp_path / "no-header.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="没有找到表头"):
        find_header(read_sheet(path), SYNONYMS)
