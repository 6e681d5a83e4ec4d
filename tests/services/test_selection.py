"""Two-way selection on a real database: the engine is asked on every way in, history is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from desktop.db.models import (
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    OutboxEntry,
    Project,
    School,
    Teacher,
)
from desktop.domain.enrollment_flow import InvalidTransition
from desktop.errors import UserInputError
from desktop.services import projects, selection
from desktop.services.projects import ProjectForm, ProjectReadOnly
from guopei_common.conditions import Conditions
from guopei_common.errors import RuleViolation
from guopei_common.idnumber import make_id_number
from guopei_common.vocab import EnrollmentStatus as S
from guopei_common.vocab import SessionFormat

AT = dt.datetime(2026, 6, 1, 9, 0)


@pytest.fixture
def county(empty_db):
    with empty_db.write() as session:
        rural = School(
            name="克度镇中心小学", county_code="522727", is_rural=True, in_contiguous_poverty_area=True
        )
        town = School(name="平塘县第一小学", county_code="522727", is_rural=False)
        session.add_all([rural, town])
        session.flush()
        for seq, (name, school, year) in enumerate(
            [("罗春燕", rural, 2008), ("王丽", rural, 2012), ("张三", town, 2010), ("李新", rural, 2025)]
        ):
            session.add(
                Teacher(
                    name=name,
                    id_number=make_id_number(
                        region_code="522727", birth_date=dt.date(1985, 1, 1 + seq), sequence=seq, gender="2"
                    ),
                    gender="2",
                    birth_date=dt.date(1985, 1, 1 + seq),
                    school_id=school.id,
                    stage="21",
                    work_start_year=year,
                )
            )
    return empty_db


def teacher_id(db, name: str) -> str:
    with db.read() as session:
        return session.scalar(select(Teacher.id).where(Teacher.name == name))


def new_project(
    db, *, code="GP-2026-001", program="guopei_midwest", quota=2, start=dt.date(2026, 7, 10)
) -> str:
    form = ProjectForm(
        code=code,
        name=f"{code} 乡村骨干教师能力提升",
        program=program,
        project_type="backbone",
        mode="offline",
        hours=60,
        credits=6,
        start_date=start,
        end_date=start + dt.timedelta(days=9),
        quota=quota,
        conditions=Conditions(stages=("21",), min_years=3, rural_only=True),
    )
    with db.write() as session:
        return projects.create_project(session, form, county_code="522727")


def enroll(db, project_id: str, name: str, override: str = "") -> str:
    with db.write() as session:
        return selection.enroll(
            session,
            teacher_id=teacher_id(db, name),
            project_id=project_id,
            actor="admin",
            at=AT,
            override_reason=override,
        )


def advance(db, ids, status, reason=""):
    with db.write() as session:
        return selection.advance(session, ids, status, actor="教育局", at=AT, reason=reason)


def test_walk_an_enrollment_through_every_status(county):
    project_id = new_project(county)
    enrollment_id = enroll(county, project_id, "罗春燕")
    for status in (S.ADMITTED, S.APPROVED, S.PUBLICISED, S.ATTENDING, S.COMPLETED):
        advance(county, [enrollment_id], status)
    with county.read() as session:
        events = session.scalars(
            select(EnrollmentEvent)
            .where(EnrollmentEvent.enrollment_id == enrollment_id)
            .order_by(EnrollmentEvent.hlc)
        ).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "applied"),
        ("applied", "admitted"),
        ("admitted", "approved"),
        ("approved", "publicised"),
        ("publicised", "attending"),
        ("attending", "completed"),
    ]
    assert all(e.actor for e in events)


@pytest.mark.parametrize(
    ("end_status", "path"),
    [
        (S.NO_SHOW, [S.ADMITTED, S.APPROVED, S.PUBLICISED]),
        (S.DISMISSED, [S.ADMITTED]),
        (S.NOT_COMPLETED, [S.ADMITTED, S.APPROVED, S.PUBLICISED, S.ATTENDING]),
    ],
)
def test_integrity_record_is_written_and_then_refuses_the_next_guopei(county, end_status, path):
    first = new_project(county, start=dt.date(2024, 7, 10))
    enrollment_id = enroll(county, first, "罗春燕")
    for status in path:
        advance(county, [enrollment_id], status)
    with pytest.raises(RuleViolation, match="须填写原因"):
        advance(county, [enrollment_id], end_status)
    result = advance(county, [enrollment_id], end_status, reason="无特殊原因未报到")
    assert result.integrity_records == 1
    with county.read() as session:
        record = session.scalars(select(IntegrityRecord)).one()
    assert record.ban_until == dt.date(2027, 7, 19)
    later = new_project(county, code="GP-2026-009", start=dt.date(2026, 7, 10))
    with pytest.raises(selection.NotEligible, match="2027年07月19日前不得参加国培"):
        enroll(county, later, "罗春燕")


def test_special_reason_withdrawal_writes_no_integrity_record(county):
    project_id = new_project(county, start=dt.date(2024, 7, 10))
    enrollment_id = enroll(county, project_id, "罗春燕")
    advance(county, [enrollment_id], S.WITHDRAWN, reason="因病住院，有医院证明")
    with county.read() as session:
        assert session.scalar(select(func.count()).select_from(IntegrityRecord)) == 0
    assert enroll(county, new_project(county, code="GP-2026-002"), "罗春燕")


def test_refusal_needs_a_written_override_which_is_kept(county):
    project_id = new_project(county)
    with pytest.raises(selection.NotEligible, match="项目仅面向乡村学校"):
        enroll(county, project_id, "张三")
    enrollment_id = enroll(county, project_id, "张三", override="县教育局特批：城区薄弱学校")
    with county.read() as session:
        enrollment = session.get(Enrollment, enrollment_id)
        event = session.scalars(
            select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == enrollment_id)
        ).one()
    assert enrollment.override_reason == "县教育局特批：城区薄弱学校"
    assert "破格报名" in event.reason and "项目仅面向乡村学校" in event.reason


def test_admission_respects_the_quota(county):
    project_id = new_project(county, quota=1)
    first = enroll(county, project_id, "罗春燕")
    second = enroll(county, project_id, "王丽")
    with county.read() as session:
        outbox_before = session.scalar(select(func.count()).select_from(OutboxEntry))
    with pytest.raises(UserInputError, match="本次最多还能录取 1 人"):
        advance(county, [first, second], S.ADMITTED)
    with county.read() as session:  # all or nothing
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == outbox_before
    advance(county, [first], S.ADMITTED)


def test_invalid_transition_says_what_is_allowed(county):
    enrollment_id = enroll(county, new_project(county), "罗春燕")
    with pytest.raises(InvalidTransition, match="不能改为“已结业”"):
        advance(county, [enrollment_id], S.COMPLETED)


def test_candidates_put_uncovered_rural_teachers_first(county):
    project_id = new_project(county, quota=10)
    with county.read() as session:
        ranked = selection.candidates(session, project_id)
    names = [c.name for c in ranked]
    assert set(names[:2]) == {"罗春燕", "王丽"}
    assert {c.name for c in ranked if c.decision.eligible} == {"罗春燕", "王丽"}
    newcomer = next(c for c in ranked if c.name == "李新")
    assert not newcomer.decision.eligible and "教龄" in newcomer.decision.summary()
    assert "张三" not in names  # urban teachers are not candidates of a rural-only project


def test_province_projects_are_read_only_and_offline_switch_blocks_face_to_face(county):
    project_id = new_project(county)
    with county.write() as session:
        class_id = projects.add_class(
            session, project_id, name="一班", class_teacher="周老师", venue="报告厅", capacity=50
        )
        ids = projects.schedule_sessions(
            session,
            class_id,
            first_day=dt.date(2026, 7, 10),
            start=dt.time(8, 30),
            end=dt.time(11, 30),
            hours=3,
            session_format=SessionFormat.FACE_TO_FACE,
            weeks=2,
            weekdays=(0, 4),
        )
        assert len(ids) == 3  # Fri 10th, then Mon 13th and Fri 17th
        projects.set_offline_suspended(session, True)
    with pytest.raises(UserInputError, match="暂停线下集中培训"), county.write() as session:
        projects.schedule_sessions(
            session,
            class_id,
            first_day=dt.date(2026, 7, 20),
            start=dt.time(8, 30),
            end=dt.time(11, 30),
            hours=3,
            session_format=SessionFormat.FACE_TO_FACE,
        )
    with county.read() as session:
        rows = projects.session_rows(session, project_id, today=dt.date(2026, 7, 12))
    assert [r.flagged for r in rows] == [False, True, True]  # past ones are not flagged
    with county.write() as session:
        session.get_one(Project, project_id).owner = "province"  # as if it had come from the province
    with pytest.raises(ProjectReadOnly), county.write() as session:
        projects.add_class(session, project_id, name="二班", class_teacher="", venue="", capacity=30)


def test_applications_from_a_schools_list(county, tmp_path):
    import openpyxl

    from desktop.services.application_import import apply_applications, preview_applications

    project_id = new_project(county, quota=10)
    with county.read() as session:
        numbers = dict(session.execute(select(Teacher.name, Teacher.id_number)).all())
    path = tmp_path / "克度镇中心小学报名表.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["克度镇中心小学 国培报名表"])
    sheet.append(["序号", "姓名", "身份证号"])
    sheet.append([1, "罗春燕", numbers["罗春燕"]])
    sheet.append([2, "张三", numbers["张三"]])  # urban school: refused with the reason
    sheet.append([3, "王丽", numbers["罗春燕"]])  # wrong name for this number
    sheet.append(
        [
            4,
            "无名",
            make_id_number(region_code="522727", birth_date=dt.date(1990, 1, 1), sequence=1, gender="1"),
        ]
    )
    sheet.append([5, "罗春燕", numbers["罗春燕"]])  # twice
    workbook.save(path)
    with county.read() as session:
        preview = preview_applications(session, project_id, path, today=dt.date(2026, 6, 1))
    problems = {row.row: "；".join(row.problems) for row in preview.rows}
    assert problems[3] == ""
    assert "项目仅面向乡村学校" in problems[4]
    assert "姓名与花名册不符" in problems[5]
    assert "花名册中没有此人" in problems[6]
    assert "与第 3 行重复" in problems[7]
    assert preview.summary() == "可报名 1 人，拒绝 4 行"
    with county.write() as session:
        assert apply_applications(session, preview, actor="admin", at=AT) == 1
    with county.read() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
