"""The notice's rules over a real database, each at its boundary: ★ priority for the coverage goal (三.),
the epidemic switch at check-in and on new projects (一.), 公示 before 报到 (六.), a project's topic and
completion rule kept with it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction

import pytest
from sqlalchemy import select

from desktop.db.models import CreditEntry, Enrollment, Project, School, Teacher
from desktop.domain.completion import CompletionRule
from desktop.errors import UserInputError
from desktop.services import checkin, projects, selection, teachers
from desktop.services.projects import FormInvalid, ProjectForm
from guopei_common.conditions import Conditions
from guopei_common.idnumber import make_id_number
from guopei_common.vocab import EnrollmentStatus as S
from guopei_common.vocab import SessionFormat

TODAY = dt.date(2026, 6, 1)
AT = dt.datetime(2026, 6, 1, 9, 0)

# (name, school, role): who is in the target group of 三. and who is not.
PEOPLE = [
    ("罗春燕", "rural_poor", "teacher"),  # ★
    ("王副校", "rural_poor", "vice_principal"),  # ★: deputies are 校园长 too
    ("韦城镇", "town_poor", "principal"),  # a poverty-area principal in town: not rural
    ("蒙乡村", "rural_rich", "teacher"),  # rural, but no poverty designation
    ("杨省培", "rural_poor", "teacher"),  # covered by a 省培 completion this cycle
    ("石校本", "rural_poor", "teacher"),  # only 校本研修: not covered
    ("吴旧周期", "rural_poor", "teacher"),  # a 国培 completion in the last cycle: not covered now
]


@pytest.fixture
def county(empty_db):
    with empty_db.write() as session:
        schools = {
            "rural_poor": School(
                name="克度镇中心小学", county_code="522727", is_rural=True, in_former_poverty_county=True
            ),
            "town_poor": School(name="平塘县第一小学", county_code="522727", in_key_assistance_county=True),
            "rural_rich": School(name="某镇小学", county_code="522727", is_rural=True, in_ethnic_area=True),
        }
        session.add_all(schools.values())
        session.flush()
        for seq, (name, school, role) in enumerate(PEOPLE):
            birth = dt.date(1985, 1, 1 + seq)
            session.add(
                Teacher(
                    name=name,
                    id_number=make_id_number(
                        region_code="522727", birth_date=birth, sequence=seq, gender="2"
                    ),
                    gender="2",
                    birth_date=birth,
                    school_id=schools[school].id,
                    stage="21",
                    role=role,
                    work_start_year=2008,
                )
            )
    return empty_db


def form(code: str, *, program="county", mode="offline", start=dt.date(2026, 7, 10), **more) -> ProjectForm:
    return ProjectForm(
        code=code,
        name=f"{code} 培训",
        program=program,
        project_type="thematic",
        mode=mode,
        hours=30,
        credits=3,
        start_date=start,
        end_date=start + dt.timedelta(days=4),
        quota=50,
        conditions=Conditions(stages=("21",)),
        **more,
    )


def ids(session) -> dict[str, str]:
    return {name: teacher_id for name, teacher_id in session.execute(select(Teacher.name, Teacher.id))}


def completed(db, code: str, *, program: str, start: dt.date, names: list[str]) -> None:
    """A finished project of `program` that `names` completed."""
    with db.write() as session:
        project_id = projects.create_project(
            session, form(code, program=program, mode="online", start=start, topic=code), county_code="522727"
        )
        teacher_ids = ids(session)
        for name in names:
            enrollment_id = selection.enroll(
                session, teacher_id=teacher_ids[name], project_id=project_id, actor="a", at=AT
            )
            for status in (S.ADMITTED, S.APPROVED, S.PUBLICISED, S.ATTENDING, S.COMPLETED):
                selection.advance(session, [enrollment_id], status, actor="a", at=AT)


def test_priority_is_the_uncovered_rural_teacher_or_head_of_a_poverty_area_school(county):
    completed(county, "SP2026-01", program="provincial", start=dt.date(2026, 3, 1), names=["杨省培"])
    completed(county, "XB2026-01", program="school", start=dt.date(2026, 3, 10), names=["石校本"])
    completed(county, "GP2025-01", program="guopei_midwest", start=dt.date(2025, 3, 1), names=["吴旧周期"])
    with county.write() as session:
        project_id = projects.create_project(session, form("XP2026-09", mode="blended"), county_code="522727")
        found = selection.candidates(session, project_id, today=TODAY)
    stars = {c.name for c in found if c.priority}
    # The default cycle runs 2026–2030: 2025's 国培 belongs to the last one.
    assert stars == {"罗春燕", "王副校", "石校本", "吴旧周期"}
    poverty = {c.name: c.poverty_area for c in found}
    assert (
        poverty["韦城镇"] and not poverty["蒙乡村"]
    )  # 国家乡村振兴重点帮扶县 counts, 民族地区 alone does not
    # A day into 2025 the old 国培 completion is in the cycle (2021–2025) and covers 吴旧周期.
    with county.read() as session:
        earlier = selection.candidates(session, project_id, today=dt.date(2025, 12, 31))
    assert "吴旧周期" not in {c.name for c in earlier if c.priority}


def test_no_new_offline_project_while_face_to_face_training_is_suspended(county):
    with county.write() as session:
        existing = projects.create_project(session, form("XP-OLD"), county_code="522727")
        projects.set_offline_suspended(session, True)
    with county.write() as session, pytest.raises(FormInvalid) as refused:
        projects.create_project(session, form("XP-NEW"), county_code="522727")
    assert "疫情防控期间，各地各校一律不得组织教师线下集中面授培训。" in str(refused.value)
    with county.write() as session:
        projects.create_project(session, form("XP-ONLINE", mode="online"), county_code="522727")
        projects.create_project(session, form("XP-BLEND", mode="blended"), county_code="522727")
        # The project that was already 线下 can still be corrected.
        projects.update_project(session, existing, replace(form("XP-OLD"), name="改名"))
        online = session.scalar(select(Project.id).where(Project.code == "XP-ONLINE"))
    with county.write() as session, pytest.raises(FormInvalid):
        projects.update_project(session, online, form("XP-ONLINE"))  # online → offline: refused


def _publicised(db, *, publicity_end: dt.date, session_format: SessionFormat) -> tuple[str, str, str]:
    """A project with a session on TODAY and 罗春燕 publicised: (session id, enrollment id, ID number)."""
    with db.write() as session:
        project_id = projects.create_project(session, form("XP-NOW", start=TODAY), county_code="522727")
        class_id = projects.add_class(
            session, project_id, name="一班", class_teacher="韦明", venue="县中心", capacity=50
        )
        (session_id,) = projects.schedule_sessions(
            session,
            class_id,
            first_day=TODAY,
            start=dt.time(8, 30),
            end=dt.time(11, 30),
            hours=3,
            session_format=session_format,
        )
        projects.set_publicity(session, project_id, publicity_end - dt.timedelta(days=4), publicity_end)
        teacher = session.scalar(select(Teacher).where(Teacher.name == "罗春燕"))
        enrollment_id = selection.enroll(
            session, teacher_id=teacher.id, project_id=project_id, actor="a", at=AT
        )
        for status in (S.ADMITTED, S.APPROVED, S.PUBLICISED):
            selection.advance(session, [enrollment_id], status, actor="a", at=AT)
        return session_id, enrollment_id, teacher.id_number


@pytest.mark.parametrize(("last_day", "allowed"), [(TODAY, False), (TODAY - dt.timedelta(days=1), True)])
def test_the_first_check_in_waits_for_the_end_of_the_publicity_period(county, last_day, allowed):
    session_id, enrollment_id, id_number = _publicised(
        county, publicity_end=last_day, session_format=SessionFormat.FACE_TO_FACE
    )
    with county.write() as session:
        result = checkin.scan(session, session_id, id_number, now=dt.datetime.combine(TODAY, dt.time(8, 25)))
        status = session.get_one(Enrollment, enrollment_id).status
    assert (result.outcome in checkin.GOOD) is allowed
    assert status == (S.ATTENDING if allowed else S.PUBLICISED)
    if not allowed:
        assert result.outcome == checkin.Outcome.NOT_ALLOWED
        assert "公示期至2026年06月01日" in result.detail and "审核公示" in result.detail
        with county.write() as session, pytest.raises(UserInputError, match="公示结束后方可报到参训"):
            selection.advance(session, [enrollment_id], S.ATTENDING, actor="a", at=AT)


@pytest.mark.parametrize(
    ("session_format", "allowed"), [(SessionFormat.FACE_TO_FACE, False), (SessionFormat.ONLINE, True)]
)
def test_check_in_at_a_face_to_face_session_is_refused_while_suspended(county, session_format, allowed):
    session_id, _enrollment_id, id_number = _publicised(
        county, publicity_end=TODAY - dt.timedelta(days=3), session_format=session_format
    )
    with county.write() as session:
        projects.set_offline_suspended(session, True)
    with county.write() as session:
        result = checkin.scan(session, session_id, id_number, now=dt.datetime.combine(TODAY, dt.time(8, 25)))
    assert (result.outcome in checkin.GOOD) is allowed
    if not allowed:
        assert "暂停线下集中面授" in result.detail and "教师厅〔2020〕1号（一）" in result.detail


def test_a_projects_topic_and_completion_rule_are_kept_with_it(county):
    rule = CompletionRule(
        max_absence_share=Fraction(1, 10), min_attendance_hours=20, assessment_required=True
    )
    with county.write() as session:
        project_id = projects.create_project(
            session, form("XP-RULE", topic="心理健康教育", completion_rule=rule), county_code="522727"
        )
    with county.read() as session:
        kept = projects.form_of(session, project_id)
    assert kept.topic == "心理健康教育"
    assert kept.completion_rule == rule


def test_the_teachers_file_shows_the_cycle_total_against_its_requirement(county):
    with county.write() as session:
        teacher_id = ids(session)["罗春燕"]
        for year, hours, status in (
            (2026, 300, "approved"),
            (2030, 20, "submitted"),
            (2025, 100, "approved"),
            (2027, 40, "draft"),
        ):
            session.add(
                CreditEntry(
                    teacher_id=teacher_id,
                    year=year,
                    level="county",
                    hours=hours,
                    credits=hours / 10,
                    status=status,
                )
            )
    with county.write() as session:
        record = teachers.teacher_file(session, teacher_id, today=TODAY)
    # 2025 is the last cycle's, a draft is not yet the county's word: 300 + 20 of the 360 学时.
    assert record.cycle_label == "2026—2030年周期"
    assert (record.cycle.hours, record.cycle.credits) == (320, 32)
    assert record.cycle.summary().startswith("已 320/360 学时，32 学分；师德 0/6 学时")
    assert "尚缺：总学时差 40、师德差 6 学时、信息技术应用能力差 50 学时" in record.cycle.summary()
