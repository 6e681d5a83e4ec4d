"""Online learning records on real files and a real database: every refusal names its cell, rows of
one session add up, a check-in is updated rather than duplicated, and applying is all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import func, select

from desktop.db.engine import Database
from desktop.db.models import Attendance, Enrollment, Project, School, Teacher, TrainingClass, TrainingSession
from desktop.domain.ids import natural_id
from desktop.io.spreadsheet import SpreadsheetError, clean_text, read_sheet
from desktop.services.online_hours import (
    apply_online_hours,
    parse_hours,
    preview_online_hours,
    save_refused,
)
from guopei_common.idnumber import make_id_number, mask_id_number

TODAY = dt.date(2026, 11, 10)
NOV = dt.date(2026, 11, 1)


def number(seq: int) -> str:
    return make_id_number(region_code="522727", birth_date=dt.date(1985, 3, seq), sequence=seq, gender="2")


@dataclass(frozen=True)
class County:
    db: Database
    project_id: str
    online_3: str  # 11-03 19:00–21:00, 2 学时
    online_4: str  # 11-04 19:00–22:00, 3 学时
    enrollments: dict[str, str]  # ID number -> enrollment id


# ID number (by sequence) -> (name, enrollment status); 3 and 4 share a name on purpose.
TRAINEES = {
    1: ("罗春燕", "attending"),
    2: ("王丽", "publicised"),
    3: ("张伟", "attending"),
    4: ("张伟", "attending"),
    5: ("李娜", "dismissed"),
    6: ("陈芳", "completed"),
}
UNKNOWN = number(20)  # a valid number nobody in the project has


@pytest.fixture
def county(empty_db) -> County:
    with empty_db.write() as session:
        school = School(name="克度镇中心小学", county_code="522727", is_rural=True)
        project = Project(
            code="GP-2026-009",
            name="乡村教师信息技术应用能力提升（混合式）",
            program="guopei_midwest",
            project_type="it_ability",
            mode="blended",
            hours=8,
            credits=1,
            start_date=NOV,
            end_date=dt.date(2026, 11, 30),
            quota=30,
            county_code="522727",
            status="running",
        )
        session.add_all([school, project])
        session.flush()
        klass = TrainingClass(project_id=project.id, name="1班")
        session.add(klass)
        session.flush()

        def add_session(day: int, start: int, end: int, hours: float, fmt: str, title: str) -> str:
            row = TrainingSession(
                class_id=klass.id,
                title=title,
                date=dt.date(2026, 11, day),
                start_time=dt.time(start),
                end_time=dt.time(end),
                hours=hours,
                format=fmt,
            )
            session.add(row)
            session.flush()
            return row.id

        add_session(2, 9, 12, 3, "face_to_face", "开班面授")
        online_3 = add_session(3, 19, 21, 2, "online", "线上课程一")
        online_4 = add_session(4, 19, 22, 3, "online", "线上课程二")
        enrollments = {}
        for seq, (name, status) in TRAINEES.items():
            teacher = Teacher(
                name=name,
                id_number=number(seq),
                gender="2",
                birth_date=dt.date(1985, 3, seq),
                school_id=school.id,
            )
            session.add(teacher)
            session.flush()
            enrollment = Enrollment(
                teacher_id=teacher.id,
                project_id=project.id,
                class_id=klass.id,
                sending_school_id=school.id,
                status=status,
            )
            session.add(enrollment)
            session.flush()
            enrollments[number(seq)] = enrollment.id
        # 罗春燕 was scanned in (late) at the 11-03 online session, credited 1.5 of its 2 hours.
        session.add(
            Attendance(
                id=natural_id("attendance", online_3, enrollments[number(1)]),
                session_id=online_3,
                enrollment_id=enrollments[number(1)],
                status="late",
                checked_in_at=dt.datetime(2026, 11, 3, 19, 20),
                method="badge",
                hours=1.5,
            )
        )
    return County(empty_db, project.id, online_3, online_4, enrollments)


def platform_export(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["国培计划（2026）线上学习记录导出"])
    sheet.merge_cells("A1:E1")
    sheet.append(["姓名", "身份证号", "课程名称", "学时", "学习日期"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


ROWS = [
    ["罗春燕", number(1), "线上课程一", 2, dt.date(2026, 11, 3)],  # 3: by ID; updates the check-in
    ["王丽", "", "线上课程一", "90分钟", "2026/11/3"],  # 4: by name (no ID in this row)
    ["罗春燕", number(1), "线上课程二", "abc", dt.date(2026, 11, 4)],  # 5
    ["王丽", "", "线上课程二", "1小时30分", "2026年11月4日"],  # 6
    ["罗春燕", number(1), "开班面授", 1, dt.date(2026, 11, 2)],  # 7: a face-to-face day
    ["罗春燕", number(1), "线上课程二", 4, dt.date(2026, 11, 4)],  # 8: more than the session has
    ["周静", UNKNOWN, "线上课程一", 1, dt.date(2026, 11, 3)],  # 9
    ["张伟", "", "线上课程一", 1, dt.date(2026, 11, 3)],  # 10: two 张伟 in the project
    ["李娜", number(5), "线上课程一", 1, dt.date(2026, 11, 3)],  # 11: dismissed
    ["陈芳", number(6), "线上课程二", 2, dt.date(2026, 11, 4)],  # 12
    ["陈芳", number(6), "线上课程二", "120分钟", dt.date(2026, 11, 4)],  # 13: with 12, 4 > 3 hours
    ["陈芳", number(6), "线上课程一", 0, dt.date(2026, 11, 3)],  # 14
    ["陈芳", number(6), "线上课程一", 1, dt.date(2026, 11, 20)],  # 15: after today
    ["张伟", number(3), "线上课程一", 1, dt.date(2026, 11, 3)],  # 16: the ID tells the 张伟 apart
]


def preview(county: County, path):
    with county.db.read() as session:
        return preview_online_hours(session, county.project_id, path, today=TODAY)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2", 2),
        ("2.5", 2.5),
        ("2学时", 2),
        ("90分钟", 1.5),
        ("45 分", 0.75),
        ("1小时30分", 1.5),
        ("1小时30分钟", 1.5),
        ("1h30min", 1.5),
        ("01:30:00", 1.5),
        ("abc", None),
        ("", None),
    ],
)
def test_hours_are_read_as_platforms_write_them(text, hours):
    assert parse_hours(text) == hours


def test_preview_matches_rows_and_says_why_each_refusal(county, tmp_path):
    result = preview(county, platform_export(tmp_path / "学习记录.xlsx", ROWS))
    by_row = {row.row: row for row in result.rows}
    assert result.header.row == 2
    assert sorted(by_row) == list(range(3, 17))

    refusals = {row.row: row.reason for row in result.refused}
    assert refusals == {
        5: "D5：学时“abc”无法识别（可写作 2、2.5、90分钟 或 1小时30分）",
        7: "E7：本项目在 2026-11-02 没有线上课次（线上课次日期：11-03、11-04）",
        8: "D8：学时 4 超过该课次（2026-11-04 线上课程二）的 3 学时",
        9: "B9：此身份证号不在本项目的学员名单中",
        10: "A10：本项目有 2 名学员叫“张伟”，无法区分：请在该行填写身份证号",
        11: "B11：李娜的报名状态为“劝退”，不能登记线上学时",
        14: "D14：学时“0”应大于 0",
        15: "E15：日期 2026-11-20 晚于今天（2026-11-10），不可能已经学习",
    }
    for row in result.refused:
        assert row.action == "refuse"

    luo = by_row[3]
    assert (luo.action, luo.name, luo.hours, luo.session_date) == (
        "record",
        "罗春燕",
        2,
        dt.date(2026, 11, 3),
    )
    assert luo.masked_id_number == mask_id_number(number(1))
    wang = by_row[4]  # matched by name: the masked number comes from the project's list
    assert (wang.action, wang.hours, wang.masked_id_number) == ("record", 1.5, mask_id_number(number(2)))
    assert (by_row[6].action, by_row[6].hours, by_row[6].session_date) == (
        "record",
        1.5,
        dt.date(2026, 11, 4),
    )
    assert by_row[16].enrollment_id == county.enrollments[number(3)]
    assert by_row[9].masked_id_number == mask_id_number(UNKNOWN)

    assert by_row[12].note == "与第 13 行合计 4 学时，超过该课次的 3 学时，按 3 学时计"
    assert by_row[13].note == "与第 12 行合计 4 学时，超过该课次的 3 学时，按 3 学时计"
    credits = {(c.enrollment_id, c.session_id): c for c in result.credits}
    chen = credits[(county.enrollments[number(6)], county.online_4)]
    assert (chen.hours, chen.rows) == (3, (12, 13))
    assert len(result.credits) == 5
    assert result.summary() == "可登记 6 行（共 5 人次课次），拒绝 8 行"


def test_apply_records_hours_and_updates_a_check_in(county, tmp_path):
    result = preview(county, platform_export(tmp_path / "学习记录.xlsx", ROWS))
    with county.db.write() as session:
        assert apply_online_hours(session, result) == 5

    def attendance(session, session_id: str, id_number: str) -> Attendance:
        return session.get_one(
            Attendance, natural_id("attendance", session_id, county.enrollments[id_number])
        )

    with county.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Attendance)) == 5
        luo = attendance(session, county.online_3, number(1))  # the check-in, not a second row
        assert (luo.status, luo.method, luo.hours) == ("late", "badge", 2)
        assert luo.checked_in_at == dt.datetime(2026, 11, 3, 19, 20)
        wang = attendance(session, county.online_3, number(2))
        assert (wang.status, wang.method, wang.hours) == ("present", "online_import", 1.5)
        assert wang.checked_in_at == dt.datetime(2026, 11, 3, 19, 0)
        assert wang.note == "线上学时导入：学习记录.xlsx"
        assert attendance(session, county.online_4, number(2)).hours == 1.5
        assert attendance(session, county.online_4, number(6)).hours == 3
        assert attendance(session, county.online_3, number(3)).hours == 1

    # The same file again changes nothing: same ids, the larger hours already there.
    with county.db.write() as session:
        apply_online_hours(session, preview(county, result.path))
    with county.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Attendance)) == 5
        assert attendance(session, county.online_4, number(6)).hours == 3


def test_a_larger_check_in_keeps_its_hours_and_an_absence_is_replaced(county, tmp_path):
    wang = county.enrollments[number(2)]
    with county.db.write() as session:
        session.add_all(
            [
                Attendance(
                    id=natural_id("attendance", county.online_3, wang),
                    session_id=county.online_3,
                    enrollment_id=wang,
                    status="present",
                    checked_in_at=dt.datetime(2026, 11, 3, 18, 55),
                    method="badge",
                    hours=2,
                ),
                Attendance(
                    id=natural_id("attendance", county.online_4, wang),
                    session_id=county.online_4,
                    enrollment_id=wang,
                    status="absent",
                    method="manual",
                    hours=0,
                ),
            ]
        )
    result = preview(county, platform_export(tmp_path / "王丽.xlsx", [ROWS[1], ROWS[3]]))
    with county.db.write() as session:
        apply_online_hours(session, result)
    with county.db.read() as session:
        checked_in = session.get_one(Attendance, natural_id("attendance", county.online_3, wang))
        assert (checked_in.status, checked_in.hours) == ("present", 2)
        was_absent = session.get_one(Attendance, natural_id("attendance", county.online_4, wang))
        assert (was_absent.status, was_absent.method, was_absent.hours) == ("present", "online_import", 1.5)
        assert was_absent.checked_in_at == dt.datetime(2026, 11, 4, 19, 0)


class Interrupted(Exception):
    """Stands for anything that fails after the import, in the same transaction."""


def test_apply_is_all_or_nothing(county, tmp_path):
    result = preview(county, platform_export(tmp_path / "学习记录.xlsx", ROWS))
    with pytest.raises(Interrupted), county.db.write() as session:
        assert apply_online_hours(session, result) == 5
        raise Interrupted
    with county.db.read() as session:
        rows = session.scalars(select(Attendance)).all()
        assert len(rows) == 1  # only the check-in from before
        assert (rows[0].method, rows[0].hours) == ("badge", 1.5)


def test_without_an_id_column_names_match_in_a_gb18030_csv(county, tmp_path):
    path = tmp_path / "平台导出.csv"
    text = "姓名,课程,时长,日期\n王丽,线上课程一,45分钟,2026-11-03 19:05:00\n张伟,线上课程一,1,2026-11-03\n"
    path.write_bytes(text.encode("gb18030"))
    result = preview(county, path)
    assert [(row.row, row.action, row.hours) for row in result.rows] == [
        (2, "record", 0.75),
        (3, "refuse", 1),
    ]
    assert result.refused[0].reason == "A3：本项目有 2 名学员叫“张伟”，无法区分：请在该行填写身份证号"


def test_missing_columns_are_named(county, tmp_path):
    path = tmp_path / "缺列.csv"
    path.write_text("姓名,课程\n王丽,线上课程一\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError) as error:
        preview(county, path)
    assert (
        str(error.value) == "文件 缺列.csv 第 1 行的表头中找不到这些必需的列：学时、日期。请修改表头后重试。"
    )


def test_refused_rows_are_saved_to_fix_and_import_again(county, tmp_path):
    result = preview(county, platform_export(tmp_path / "学习记录.xlsx", ROWS))
    out = tmp_path / "被拒绝.xlsx"
    assert save_refused(result, out) == 8
    sheet = read_sheet(out)
    assert [cell.value for cell in sheet.rows[0]] == [
        "姓名",
        "身份证号",
        "课程名称",
        "学时",
        "学习日期",
        "错误原因",
        "原行号",
    ]
    first = [cell.value for cell in sheet.rows[1]]
    assert first == [
        "罗春燕",
        number(1),
        "线上课程二",
        "abc",
        "2026-11-04",
        clean_text(result.refused[0].reason),  # read back, （） come out as () like any cell
        "5",
    ]
    assert [row[-1].value for row in sheet.rows[1:]] == ["5", "7", "8", "9", "10", "11", "14", "15"]


def test_a_deleted_session_no_longer_takes_hours(county, tmp_path):
    with county.db.write() as session:
        session.get_one(TrainingSession, county.online_4).deleted = True
    result = preview(county, platform_export(tmp_path / "学习记录.xlsx", [ROWS[3]]))
    assert result.refused[0].reason == "E3：本项目在 2026-11-04 没有线上课次（线上课次日期：11-03）"
