"""Credits from hours attended, by the province's rule; the entry's states; the county summary."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop.db.models import (
    Attendance,
    CreditEntry,
    Enrollment,
    Project,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.ids import natural_id
from desktop.errors import UserInputError
from desktop.io.spreadsheet import read_sheet
from desktop.services import checkin, credits
from guopei_common.credit_rules import CreditPolicy, CreditRule, CreditRuleVersion
from guopei_common.errors import RuleViolation
from guopei_common.vocab import CreditStatus, Program, TrainingLevel


@pytest.fixture
def trained(empty_db):
    """One teacher who completed a county project: two face-to-face sessions and one online."""
    with empty_db.write() as session:
        school = School(name="克度镇中心小学", county_code="522727", is_rural=True)
        session.add(school)
        session.flush()
        teacher = Teacher(
            name="罗春燕",
            id_number="11010519491231002X",
            gender="2",
            birth_date=dt.date(1949, 12, 31),
            school_id=school.id,
        )
        project = Project(
            code="XP-1",
            name="县培专题",
            program="county",
            project_type="thematic",
            mode="blended",
            hours=9,
            credits=0.9,
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 5, 3),
            quota=10,
            county_code="522727",
        )
        session.add_all([teacher, project])
        session.flush()
        training_class = TrainingClass(project_id=project.id, name="一班")
        session.add(training_class)
        session.flush()
        enrollment = Enrollment(
            teacher_id=teacher.id,
            project_id=project.id,
            class_id=training_class.id,
            sending_school_id=school.id,
            status="completed",
        )
        session.add(enrollment)
        session.flush()
        for day, fmt in ((1, "face_to_face"), (2, "face_to_face"), (3, "online")):
            s = TrainingSession(
                class_id=training_class.id,
                date=dt.date(2026, 5, day),
                start_time=dt.time(8, 30),
                end_time=dt.time(11, 30),
                hours=3,
                format=fmt,
            )
            session.add(s)
            session.flush()
            session.add(
                Attendance(
                    id=natural_id("attendance", s.id, enrollment.id),
                    session_id=s.id,
                    enrollment_id=enrollment.id,
                    status="present",
                    hours=3,
                )
            )
        credits.set_credit_policy(
            session,
            CreditPolicy(by_program={Program.COUNTY: CreditRule(hours_per_credit=10, online_ratio=0.5)}),
        )
        return empty_db, project.id, teacher.id


def test_drafts_from_completed_trainees_with_the_explanation(trained):
    db, project_id, _ = trained
    with db.write() as session:
        assert credits.generate_for_project(session, project_id) == 1
        assert credits.generate_for_project(session, project_id) == 0  # never twice
    with db.read() as session:
        entry = session.scalars(select(CreditEntry)).one()
    assert (entry.hours, entry.credits, entry.level, entry.year, entry.status) == (
        7.5,
        0.7,
        "county",
        2026,
        "draft",
    )
    assert "线上 3 学时 × 0.5" in entry.description


@pytest.mark.parametrize(
    ("effective_from", "expected", "source"),
    [
        (dt.date(2026, 5, 3), 1.5, "省学分规则 黔教师〔2026〕1号，2026-05-03 起"),  # in force on the end date
        (dt.date(2026, 5, 4), 0.7, "本县学分规则"),  # a day later: the county's own rule still applies
    ],
)
def test_drafts_take_the_province_rule_in_force_on_the_projects_end_date(
    trained, effective_from, expected, source
):
    db, project_id, _ = trained
    province = CreditRuleVersion(
        "黔教师〔2026〕1号", effective_from, CreditPolicy(CreditRule(hours_per_credit=6))
    )
    older = CreditRuleVersion(
        "黔教师〔2020〕9号", dt.date(2020, 1, 1), CreditPolicy(CreditRule(hours_per_credit=1))
    )
    with db.write() as session:
        credits.set_rule_versions(session, [province] if effective_from.day == 4 else [older, province])
        credits.generate_for_project(session, project_id)
    with db.read() as session:
        entry = session.scalars(select(CreditEntry)).one()
    assert entry.credits == expected
    assert entry.description.endswith(f"（{source}）")


def test_late_arrival_costs_credited_hours(trained):
    """90 minutes late to the first 3-hour session: 1.5 hours, not 3, go into the credits."""
    db, project_id, _ = trained
    with db.write() as session:
        enrollment = session.scalars(select(Enrollment)).one()
        first = session.scalars(
            select(TrainingSession).where(TrainingSession.date == dt.date(2026, 5, 1))
        ).one()
        checkin.find_attendance(session, first.id, enrollment.id).deleted = True
        enrollment.status = "attending"  # taken at the door during the training
        session.flush()
        late = checkin.record(
            session,
            checkin.session_info(session, first.id),
            enrollment.id,
            now=dt.datetime(2026, 5, 1, 10, 0),
            sign_out=False,
            method="badge",
        )
        assert late.outcome == checkin.Outcome.LATE
        enrollment.status = "completed"
        session.flush()
        assert credits.generate_for_project(session, project_id) == 1
    with db.read() as session:
        entry = session.scalars(select(CreditEntry)).one()
    # Face to face 1.5 + 3, online 3 × 0.5: 6 hours (7.5 when lateness cost nothing).
    assert (entry.hours, entry.credits) == (6, 0.6)
    assert "面授 4.5 学时" in entry.description


def test_states_and_frozen_entries(trained):
    db, project_id, teacher_id = trained
    with db.write() as session:
        credits.generate_for_project(session, project_id)
        with pytest.raises(UserInputError, match="认定依据"):
            credits.add_manual(
                session,
                teacher_id=teacher_id,
                year=2026,
                level=TrainingLevel.PROVINCIAL,
                hours=12,
                credits=1.2,
                reason=" ",
            )
        credits.add_manual(
            session,
            teacher_id=teacher_id,
            year=2026,
            level=TrainingLevel.PROVINCIAL,
            hours=12,
            credits=1.2,
            reason="省级网络研修课程《作业设计》",
        )
        assert credits.submit_year(session, 2026) == 2
    with db.read() as session:
        ids = [row.id for row in credits.entries(session, year=2026)]
    with db.write() as session:
        credits.change_status(session, ids[:1], CreditStatus.APPROVED)
        with pytest.raises(RuleViolation, match=r"原因|理由"):
            credits.change_status(session, ids[1:], CreditStatus.REJECTED)
        credits.change_status(session, ids[1:], CreditStatus.REJECTED, reason="缺少结业证明")
    with pytest.raises(UserInputError, match="不能在本地修改"), db.write() as session:
        credits.edit_entry(session, ids[0], hours=1, credits=0.1)
    with db.write() as session:
        credits.change_status(session, ids[1:], CreditStatus.DRAFT)  # corrected after the rejection
        credits.edit_entry(session, ids[1], hours=10, credits=1.0)


def test_county_summary_counts_approved_entries_per_school_and_level(trained, tmp_path):
    db, project_id, _ = trained
    with db.write() as session:
        credits.generate_for_project(session, project_id)
        entry_ids = [row.id for row in credits.entries(session, year=2026)]
        credits.change_status(session, entry_ids, CreditStatus.SUBMITTED)
        credits.change_status(session, entry_ids, CreditStatus.APPROVED)
        out = tmp_path / "学分汇总.xlsx"
        assert credits.county_summary_xlsx(session, 2026, out) == 1
    header, line = (list(c.value for c in row) for row in read_sheet(out).rows[:2])
    assert line[0] == "克度镇中心小学" and line[1] == "1"
    assert line[header.index("县级学时")] == "7.5" and line[header.index("县级学分")] == "0.7"
    assert line[-1] == "0.7"
