"""Teacher import on real files: every refusal names its cell, and applying is all or nothing."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import func, select

from desktop.db.models import AuditEntry, OutboxEntry, ReservePoolEntry, School, Teacher
from desktop.io.spreadsheet import SpreadsheetError, find_header, read_sheet
from desktop.services.roster import TeacherFilter
from desktop.services.roster_export import export_teachers
from desktop.services.roster_import import apply_teacher_import, preview_teacher_import, save_refused_rows
from guopei_common.idnumber import check_digit, make_id_number

TODAY = dt.date(2026, 11, 29)


def number(day: int, seq: int = 1) -> str:
    return make_id_number(region_code="522727", birth_date=dt.date(1985, 3, day), sequence=seq, gender="2")


EXISTING = number(1)


@pytest.fixture
def county(empty_db):
    with empty_db.write() as session:
        school = School(name="克度镇中心小学", county_code="522727", township="克度镇", is_rural=True)
        session.add(school)
        session.flush()
        session.add(
            Teacher(
                name="罗春燕",
                id_number=EXISTING,
                gender="2",
                birth_date=dt.date(1985, 3, 1),
                school_id=school.id,
                stage="21",
                subject="01",
                phone="13800000001",
            )
        )
    return empty_db


def write_xlsx(path, rows, *, title="克度镇中心小学 2026 年教师信息表"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells("A1:G1")
    sheet.append(["序号", "姓名", "身份证号", "性别", "学校", "学段", "学科", "手机号码"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def preview(db, path, **options):
    with db.read() as session:
        return preview_teacher_import(session, path, today=TODAY, **options)


def bad_check_digit() -> str:
    good = number(5)
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def test_preview_says_what_happens_to_every_row(county, tmp_path):
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number(9))
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        [
            [1, "王丽", number(2), "女", "克度镇中心小学", "小学", "数学", "13900000002"],
            [2, "罗春燕", EXISTING, "女", "克度镇中心小学", "小学", "语文", "13900000099"],  # phone changed
            [3, "陈芳", 440524188001010014.0, "", "克度镇中心小学", "", "", ""],  # number cell: digits lost
            [4, "周静", bad_check_digit(), "", "克度镇中心小学", "", "", ""],
            [5, "吴敏", "522727198502300026", "", "克度镇中心小学", "", "", ""],  # 30 February
            [6, "杨梅", full_width, "女", "克度镇中心小学", "", "", ""],  # full-width digits: fine
            [7, "黄琳", number(3), "男", "克度镇中心小学", "", "", ""],  # gender contradicts the number
            [8, "李娜", number(4), "", "不存在的学校", "初中", "", ""],
            [9, "赵敏", number(6), "", "克度镇中心小学", "大学", "", ""],  # not a stage
            [10, "孙莉", number(7), "", "克度镇中心小学", "", "", ""],
            [11, "孙莉", number(7), "", "克度镇中心小学", "", "", ""],  # same person twice
        ],
    )
    result = preview(county, path)
    by_row = {o.row: o for o in result.outcomes}
    assert result.header.row == 2
    assert by_row[3].action == "create"
    assert by_row[4].action == "update"
    assert by_row[8].action == "create"
    assert by_row[8].valid.id_number.value == number(9)

    def refusal(row: int) -> str:
        assert by_row[row].action == "refuse", by_row[row]
        return by_row[row].reason

    assert refusal(5).startswith("C5：身份证号有误：身份证号被 Excel 当作数字存储")
    assert "设为“文本”格式" in refusal(5)
    assert refusal(6).startswith("C6：身份证号有误：校验码错误")
    assert refusal(7).startswith("C7：身份证号有误：出生日期 19850230 不存在")
    assert refusal(9) == "D9：性别“男”与身份证号不符"
    assert refusal(10).startswith("E10：学校“不存在的学校”不在学校名单中")
    assert refusal(11).startswith("F11：学段“大学”不在代码表中")
    assert refusal(12) == "身份证号与第 13 行重复（同一人出现多次）"
    assert refusal(13) == "身份证号与第 12 行重复（同一人出现多次）"
    assert result.summary() == "新增 2 人，更新 1 人，无变化 0 人，拒绝 8 行"


def test_apply_writes_accepted_rows_in_one_transaction(county, tmp_path):
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        [
            [1, "王丽", number(2), "女", "克度镇中心小学", "小学", "数学", "13900000002"],
            [2, "罗春燕", EXISTING, "", "克度镇中心小学", "", "", "13900000099"],
            [3, "李娜", number(4), "", "牙舟镇新塘小学", "", "", ""],
            [4, "周静", bad_check_digit(), "", "克度镇中心小学", "", "", ""],
        ],
    )
    result = preview(county, path, create_schools=True)
    assert result.new_schools == ["牙舟镇新塘小学"]
    with county.write() as session:
        outcome = apply_teacher_import(
            session, result, county_code="522727", today=TODAY, reserve_pool_reason="学校推荐"
        )
    assert (outcome.created, outcome.updated, outcome.schools_created) == (2, 1, 1)
    with county.read() as session:
        updated = session.scalars(select(Teacher).where(Teacher.id_number == EXISTING)).one()
        assert updated.phone == "13900000099"
        assert updated.subject == "01"  # a blank cell keeps what the roster had
        wang = session.scalars(select(Teacher).where(Teacher.name == "王丽")).one()
        assert (wang.stage, wang.subject, wang.name_initials) == ("21", "02", "wl")
        assert session.scalar(select(func.count()).select_from(ReservePoolEntry)) == 3
        assert session.scalar(select(func.count()).select_from(Teacher)) == 3


def test_a_failure_while_applying_changes_nothing(county, tmp_path):
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        [
            [1, "王丽", number(2), "女", "克度镇中心小学", "", "", ""],
            [2, "李娜", number(4), "", "克度镇中心小学", "", "", ""],
        ],
    )
    result = preview(county, path)
    # Someone adds 李娜 on another screen between preview and apply: the unique ID number stops it.
    with county.write() as session:
        school_id = session.scalar(select(School.id))
        session.add(
            Teacher(
                name="李娜",
                id_number=number(4),
                gender="2",
                birth_date=dt.date(1985, 3, 4),
                school_id=school_id,
            )
        )
    with county.read() as session:
        teachers_before = session.scalar(select(func.count()).select_from(Teacher))
        outbox_before = session.scalar(select(func.count()).select_from(OutboxEntry))
    with pytest.raises(Exception, match="UNIQUE"), county.write() as session:
        apply_teacher_import(session, result, county_code="522727", today=TODAY)
    with county.read() as session:
        assert session.scalar(select(func.count()).select_from(Teacher)) == teachers_before
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox_before


def test_gb18030_csv_and_legacy_xls_import(county, tmp_path):
    import xlwt

    csv_path = tmp_path / "学校上报.csv"
    csv_path.write_bytes(
        f"公民身份号码,姓名,单位,联系电话\r\n{number(2)},曾小红,克度镇中心小学,13700002222\r\n".encode(
            "gb18030"
        )
    )
    assert preview(county, csv_path).count("create") == 1
    xls_path = tmp_path / "old.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for column, text in enumerate(["姓名", "证件号码", "工作单位"]):
        sheet.write(0, column, text)
    for column, text in enumerate(["刘䶮", number(3, 2).replace("X", "x"), "克度镇中心小学"]):
        sheet.write(1, column, text)
    book.save(str(xls_path))
    result = preview(county, xls_path)
    assert result.count("create") == 1 and result.outcomes[0].name == "刘䶮"


def test_missing_required_column_is_named(county, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,手机\n王丽,13900000002\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="身份证号、学校/单位"):
        preview(county, path)


def test_refused_rows_are_saved_to_fix_and_reimport(county, tmp_path):
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        [
            [1, "王丽", number(2), "女", "克度镇中心小学", "", "", ""],
            [2, "周静", bad_check_digit(), "", "克度镇中心小学", "", "", ""],
        ],
    )
    result = preview(county, path)
    out = tmp_path / "被拒绝.xlsx"
    with county.write() as session:
        assert save_refused_rows(session, result, out) == 1
    sheet = read_sheet(out)
    header = find_header(sheet, {"name": ("姓名",), "id_number": ("身份证号",), "reason": ("错误原因",)})
    assert [c.value for c in sheet.rows[1]][1] == "周静"
    assert "校验码错误" in sheet.rows[1][header.columns["reason"] - 1].value
    # Fix the ID number in the saved file and import it again.
    workbook = openpyxl.load_workbook(out)
    workbook.active["C2"] = number(5)
    workbook.save(out)
    assert preview(county, out).count("create") == 1


def test_mapping_chosen_by_the_user_is_remembered(county, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(f"老师,身份证号,所在单位名\n王丽,{number(2)},克度镇中心小学\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError):
        preview(county, path)  # 老师 and 所在单位名 are not known headings
    columns = {"name": 1, "id_number": 2, "school": 3}
    result = preview(county, path, columns=columns)
    assert result.count("create") == 1
    with county.write() as session:
        apply_teacher_import(session, result, county_code="522727", today=TODAY)
    second = tmp_path / "odd2.csv"
    second.write_text(f"老师,身份证号,所在单位名\n李娜,{number(4)},克度镇中心小学\n", encoding="utf-8")
    assert preview(county, second).count("create") == 1  # recognised without help now


def test_export_masks_unless_asked_and_audits_full_numbers(county, tmp_path):
    masked = tmp_path / "masked.xlsx"
    with county.write() as session:
        assert export_teachers(session, TeacherFilter(), masked) == 1
    row = read_sheet(masked).rows[1]
    assert row[1].value == EXISTING[:4] + "**********" + EXISTING[-4:]
    assert row[11].value == "138****0001"
    full = tmp_path / "full.xlsx"
    with county.write() as session:
        export_teachers(session, TeacherFilter(), full, full_numbers=True, actor="admin")
    assert read_sheet(full).rows[1][1].value == EXISTING
    with county.read() as session:
        audit = session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.actor, audit.detail["count"]) == ("export_full_id_numbers", "admin", 1)


def test_check_digit_helper_is_consistent():
    assert number(2)[-1] == check_digit(number(2)[:17])


def test_cancelling_the_apply_leaves_nothing(county, tmp_path):
    from desktop.errors import Cancelled

    path = write_xlsx(tmp_path / "名单.xlsx", [[1, "王丽", number(2), "女", "克度镇中心小学", "", "", ""]])
    result = preview(county, path)
    with pytest.raises(Cancelled), county.write() as session:
        apply_teacher_import(session, result, county_code="522727", today=TODAY, cancelled=lambda: True)
    with county.read() as session:
        assert session.scalar(select(func.count()).select_from(Teacher)) == 1  # only the one already there


def test_the_same_person_twice_is_refused_on_both_rows_even_when_one_has_another_error(county, tmp_path):
    twin = number(8)
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        [
            [1, "周重复", twin, "女", "克度镇中心小学", "", "", ""],
            [2, "周重复", twin, "男", "克度镇中心小学", "", "", ""],  # and the gender contradicts the number
        ],
    )
    result = preview(county, path)
    by_row = {o.row: o for o in result.outcomes}
    assert by_row[3].action == by_row[4].action == "refuse"
    assert "身份证号与第 4 行重复" in by_row[3].reason
    assert "身份证号与第 3 行重复" in by_row[4].reason and "性别“男”与身份证号不符" in by_row[4].reason
    assert result.summary() == "新增 0 人，更新 0 人，无变化 0 人，拒绝 2 行"
