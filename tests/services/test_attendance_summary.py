"""Attendance summaries on a real database: every figure from known attendance, and the sheet re-read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from desktop.db.engine import Database
from desktop.db.models import (
    Attendance,
    Enrollment,
    EnrollmentEvent,
    Project,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.ids import natural_id
from desktop.io.spreadsheet import read_sheet
from desktop.services import checkin
from desktop.services.attendance_summary import class_summary, export_summary_xlsx, project_summary
from guopei_common.idnumber import make_id_number

TODAY = dt.date(2026, 11, 5)


@dataclass(frozen=True)
class County:
    db: Database
    project_id: str
    class_id: str  # "2班"
    enrollments: dict[str, str]  # name -> enrollment id


# Sessions of 2班: (key, day, start hour, hours). s4 is this morning and someone came; s5 is this
# afternoon with only a leave request; s6 is tomorrow. 17 hours in all.
SESSIONS = [
    ("s1", 2, 9, 3),
    ("s2", 3, 19, 2),
    ("s3", 4, 9, 3),
    ("s4", 5, 9, 3),
    ("s5", 5, 14, 3),
    ("s6", 6, 9, 3),
]
# name -> (class, enrollment status, {session: (attendance status, hours)})
TRAINEES = {
    "罗春燕": (
        "2班",
        "attending",
        {"s1": ("present", 3), "s2": ("present", 2), "s3": ("present", 3), "s4": ("present", 3)},
    ),
    "王丽": (
        "2班",
        "attending",
        {"s1": ("late", 3), "s2": ("absent", 0), "s3": ("excused", 0), "s5": ("excused", 0)},
    ),
    "陈芳": ("2班", "publicised", {}),
    "李娜": ("2班", "dismissed", {"s1": ("present", 3)}),  # dismissed 11-03 at noon
    "周静": ("2班", "not_completed", {"s1": ("left_early", 1.5), "s2": ("present", 2)}),
    "吴敏": ("2班", "withdrawn", {"s1": ("present", 3)}),  # not listed
    "黄琳": ("2班", "applied", {}),  # not listed
    "赵敏": (None, "attending", {"s1": ("present", 3)}),  # not placed in a class yet
    "孙莉": ("10班", "attending", {}),  # her class has not started
}


@pytest.fixture
def county(empty_db) -> County:
    with empty_db.write() as session:
        school = School(name="克度镇中心小学", county_code="522727", is_rural=True)
        project = Project(
            code="XP-2026-003",
            name="新教师入职培训",
            program="county",
            project_type="new_teacher",
            mode="blended",
            hours=20,
            credits=2,
            start_date=dt.date(2026, 11, 2),
            end_date=dt.date(2026, 11, 30),
            quota=60,
            county_code="522727",
            status="running",
        )
        session.add_all([school, project])
        session.flush()
        classes = {name: TrainingClass(project_id=project.id, name=name) for name in ("2班", "10班")}
        session.add_all(classes.values())
        session.flush()
        session_ids = {}
        for key, day, start, hours in SESSIONS:
            row = TrainingSession(
                class_id=classes["2班"].id,
                date=dt.date(2026, 11, day),
                start_time=dt.time(start),
                end_time=dt.time(start + hours),
                hours=hours,
                format="online" if key == "s2" else "face_to_face",
            )
            session.add(row)
            session.flush()
            session_ids[key] = row.id
        session.add(
            TrainingSession(
                class_id=classes["10班"].id,
                date=dt.date(2026, 11, 20),
                start_time=dt.time(9),
                end_time=dt.time(12),
                hours=3,
            )
        )
        enrollments = {}
        for seq, (name, (class_name, status, marks)) in enumerate(TRAINEES.items(), start=1):
            birth = dt.date(1990, 1, seq)
            teacher = Teacher(
                name=name,
                id_number=make_id_number(region_code="522727", birth_date=birth, sequence=seq, gender="2"),
                gender="2",
                birth_date=birth,
                school_id=school.id,
            )
            session.add(teacher)
            session.flush()
            enrollment = Enrollment(
                teacher_id=teacher.id,
                project_id=project.id,
                class_id=classes[class_name].id if class_name else None,
                sending_school_id=school.id,
                status=status,
            )
            session.add(enrollment)
            session.flush()
            enrollments[name] = enrollment.id
            for key, (mark, hours) in marks.items():
                session.add(
                    Attendance(
                        id=natural_id("attendance", session_ids[key], enrollment.id),
                        session_id=session_ids[key],
                        enrollment_id=enrollment.id,
                        status=mark,
                        hours=hours,
                    )
                )
        session.add(
            EnrollmentEvent(
                enrollment_id=enrollments["李娜"],
                from_status="attending",
                to_status="dismissed",
                at=dt.datetime(2026, 11, 3, 12, 0),
                reason="连续两次无故缺课",
            )
        )
    return County(empty_db, project.id, classes["2班"].id, enrollments)


def figures(row) -> tuple:
    return (
        row.sessions_held,
        row.sessions_attended,
        row.hours_attended,
        row.hours_scheduled,
        row.absences,
        row.excused,
        row.late,
        row.attendance_rate,
    )


def test_class_summary_counts_every_figure(county):
    with county.db.read() as session:
        rows = class_summary(session, county.class_id, today=TODAY)
    # Pinyin order; the withdrawn, the applicant, the unplaced and the other class are not here.
    assert [row.name for row in rows] == ["陈芳", "李娜", "罗春燕", "王丽", "周静"]
    by_name = {row.name: row for row in rows}
    # held: s1–s3 are past, s4 is this morning and someone came; s5 (only a leave) and s6 are not.
    assert figures(by_name["罗春燕"]) == (4, 4, 11, 17, 0, 0, 0, 1.0)
    # late at s1, absent at s2, on leave at s3, never seen at s4 (the leave for s5 does not count yet)
    assert figures(by_name["王丽"]) == (4, 1, 3, 17, 2, 1, 1, 0.25)
    assert figures(by_name["陈芳"]) == (4, 0, 0, 17, 4, 0, 0, 0.0)
    # Dismissed at noon on 11-03: only s1 was held before, and she was there.
    assert figures(by_name["李娜"]) == (1, 1, 3, 17, 0, 0, 0, 1.0)
    assert figures(by_name["周静"]) == (4, 2, 3.5, 17, 2, 0, 0, 0.5)
    assert by_name["王丽"].school == "克度镇中心小学"
    assert by_name["王丽"].class_name == "2班"
    assert by_name["李娜"].status == "dismissed"


def test_a_session_later_today_counts_once_someone_is_present(county):
    with county.db.write() as session:
        s5 = session.scalar(
            select(TrainingSession.id).where(
                TrainingSession.date == TODAY, TrainingSession.start_time == dt.time(14)
            )
        )
        session.add(
            Attendance(
                id=natural_id("attendance", s5, county.enrollments["罗春燕"]),
                session_id=s5,
                enrollment_id=county.enrollments["罗春燕"],
                status="present",
                hours=3,
            )
        )
    with county.db.read() as session:
        by_name = {row.name: row for row in class_summary(session, county.class_id, today=TODAY)}
    assert figures(by_name["罗春燕"]) == (5, 5, 14, 17, 0, 0, 0, 1.0)
    # Her leave for the afternoon now counts as excused.
    assert figures(by_name["王丽"]) == (5, 1, 3, 17, 2, 2, 1, 0.2)


def test_project_summary_goes_class_by_class(county):
    with county.db.read() as session:
        rows = project_summary(session, county.project_id, today=TODAY)
    assert [(row.class_name, row.name) for row in rows] == [
        ("2班", "陈芳"),
        ("2班", "李娜"),
        ("2班", "罗春燕"),
        ("2班", "王丽"),
        ("2班", "周静"),
        ("10班", "孙莉"),
        ("未分班", "赵敏"),
    ]
    by_name = {row.name: row for row in rows}
    # Nothing held yet: no rate rather than 0 %.
    assert figures(by_name["孙莉"]) == (0, 0, 0, 3, 0, 0, 0, None)
    # Unplaced among two classes: only the session she was seen at is hers.
    assert figures(by_name["赵敏"]) == (1, 1, 3, 3, 0, 0, 0, 1.0)


def test_export_reads_back_with_chinese_headers(county, tmp_path):
    with county.db.read() as session:
        rows = project_summary(session, county.project_id, today=TODAY)
    out = tmp_path / "考勤汇总.xlsx"
    assert export_summary_xlsx(rows, out) == 7
    sheet = read_sheet(out)
    assert [cell.value for cell in sheet.rows[0]] == [
        "姓名",
        "学校/单位",
        "班级",
        "已上课次",
        "出勤次数",
        "出勤率",
        "出勤学时",
        "应修学时",
        "缺勤",
        "请假",
        "迟到",
        "迟到早退扣减学时",
    ]
    lines = {line[0].value: [cell.value for cell in line] for line in sheet.rows[1:]}
    assert lines["罗春燕"] == [
        "罗春燕",
        "克度镇中心小学",
        "2班",
        "4",
        "4",
        "100.0%",
        "11",
        "17",
        "0",
        "0",
        "0",
        "0",
    ]
    assert lines["王丽"] == [
        "王丽",
        "克度镇中心小学",
        "2班",
        "4",
        "1",
        "25.0%",
        "3",
        "17",
        "2",
        "1",
        "1",
        "0",
    ]
    assert lines["陈芳"][5] == "0.0%"
    assert lines["周静"][6] == "3.5"
    assert lines["周静"][11] == "1.5"  # she left s1 early: 1.5 of its 3 hours
    assert lines["孙莉"][5] == "—"


def test_late_arrival_and_early_departure_cost_hours_on_the_line(county):
    """王丽 checks in 30 minutes late to s1 (09:00–12:00, 3 学时) and leaves 30 minutes early."""
    wang = county.enrollments["王丽"]
    with county.db.write() as session:
        s1 = session.scalar(select(TrainingSession.id).where(TrainingSession.date == dt.date(2026, 11, 2)))
        checkin.find_attendance(session, s1, wang).deleted = True  # her mark, taken again at the door
        session.flush()
        info = checkin.session_info(session, s1)
        arrived = checkin.record(
            session, info, wang, now=dt.datetime(2026, 11, 2, 9, 30), sign_out=False, method="badge"
        )
        assert arrived.outcome == checkin.Outcome.LATE and "计 2.5 学时" in arrived.detail
        left = checkin.record(
            session, info, wang, now=dt.datetime(2026, 11, 2, 11, 30), sign_out=True, method="badge"
        )
        assert left.outcome == checkin.Outcome.LEFT_EARLY and "计 2 学时" in left.detail
        assert checkin.find_attendance(session, s1, wang).hours == 2
    with county.db.read() as session:
        by_name = {row.name: row for row in class_summary(session, county.class_id, today=TODAY)}
    # Counted 全勤 at s1 before: 3 hours. Now 2, and the line says the hour went to lateness.
    assert (by_name["王丽"].hours_attended, by_name["王丽"].hours_lost_late_early) == (2, 1)
    assert (by_name["罗春燕"].hours_lost_late_early, by_name["周静"].hours_lost_late_early) == (0, 1.5)


def test_held_by_a_moment_counts_only_sessions_ended(county):
    """What completion measures: sessions ended by the moment, whoever came (s4 ends at noon)."""
    with county.db.read() as session:
        at_noon = project_summary(
            session, county.project_id, today=TODAY, ended_by=dt.datetime(2026, 11, 5, 12, 0)
        )
        before = project_summary(
            session, county.project_id, today=TODAY, ended_by=dt.datetime(2026, 11, 5, 11, 59)
        )
    noon = {row.name: row for row in at_noon}
    assert (noon["王丽"].sessions_held, noon["王丽"].hours_held, noon["王丽"].hours_scheduled) == (4, 11, 17)
    assert {row.name: row.hours_held for row in before}["王丽"] == 8
