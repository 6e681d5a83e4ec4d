"""The demo county is realistic, complete, consistent with the rules, and deterministic.

Most tests read the session's shared 3,000-teacher county (`demo_db`, built as of DEMO_TODAY)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise

from sqlalchemy import func, select, text

from desktop.db.engine import open_database
from desktop.db.models import (
    Attendance,
    Completion,
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    OutboxEntry,
    Project,
    ReservePoolEntry,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.codes import code_table
from desktop.domain.eligibility import Ban, PastEnrollment, ProjectFacts, TeacherFacts, decide
from desktop.domain.enrollment_flow import NEEDS_REASON, TRANSITIONS
from desktop.domain.ids import natural_id
from desktop.services.demo_county import build_demo_county
from guopei_common.conditions import Conditions
from guopei_common.idnumber import parse_id_number
from guopei_common.vocab import (
    EmploymentStatus,
    EnrollmentStatus,
    Program,
    ProjectStatus,
    ProjectType,
    TeacherRole,
)
from tests.conftest import DEMO_TODAY

SYNCED_TABLES = [
    "schools",
    "teachers",
    "reserve_pool_entries",
    "projects",
    "training_classes",
    "training_sessions",
    "enrollments",
    "enrollment_events",
    "attendance",
    "completions",
    "credit_entries",
    "integrity_records",
    "certificates",
]


def test_schools_and_teachers_look_like_a_real_county(demo_db):
    with demo_db.read() as session:
        schools = session.scalars(select(School)).all()
        teachers = session.scalars(select(Teacher)).all()
    assert len(schools) == 40
    assert all(len(s.code) == 10 and s.code.isdigit() for s in schools)
    assert {s.is_rural for s in schools} == {True, False}
    assert not any(s.in_sanqu_sanzhou for s in schools)
    assert len(teachers) == 3000
    assert len({t.id_number for t in teachers}) == 3000
    assert len({t.phone for t in teachers}) == 3000
    for teacher in teachers:
        parsed = parse_id_number(teacher.id_number, today=DEMO_TODAY)
        assert parsed.gender == teacher.gender and parsed.birth_date == teacher.birth_date
        assert parsed.region_code.startswith("5227")
        assert 21 <= teacher.work_start_year - teacher.birth_date.year <= 24
    assert any("䶮" in t.name or "㛃" in t.name for t in teachers)
    for field, table in (
        ("stage", "stage"),
        ("subject", "subject"),
        ("title", "title"),
        ("ethnicity", "ethnicity"),
    ):
        codes = {item.code for item in code_table(table).items}
        assert {getattr(t, field) for t in teachers} <= codes, field
    stage_of = {s.id: s.stage for s in schools}
    assert all(t.stage == stage_of[t.school_id] for t in teachers)
    heads = Counter(t.school_id for t in teachers if t.role != TeacherRole.TEACHER)
    assert heads == Counter({s.id: 1 for s in schools})  # one principal or director per school
    assert {t.role for t in teachers if stage_of[t.school_id] == "10" and t.role != TeacherRole.TEACHER} == {
        TeacherRole.KINDERGARTEN_DIRECTOR
    }
    assert Counter(t.employment_status for t in teachers)["active"] == 2850


def test_every_enrollment_status_occurs_with_a_history_that_walks_to_it(demo_db):
    with demo_db.read() as session:
        enrollments = session.execute(select(Enrollment.id, Enrollment.status)).all()
        events = session.scalars(
            select(EnrollmentEvent).order_by(EnrollmentEvent.enrollment_id, EnrollmentEvent.at)
        ).all()
    assert {status for _id, status in enrollments} == {status.value for status in EnrollmentStatus}
    history = defaultdict(list)
    for event in events:
        assert event.at.date() < DEMO_TODAY  # nothing has happened later than now
        assert event.reason or EnrollmentStatus(event.to_status) not in NEEDS_REASON
        history[event.enrollment_id].append((event.from_status, event.to_status))
    for enrollment_id, status in enrollments:
        steps = history[enrollment_id]
        assert steps[0] == ("", EnrollmentStatus.APPLIED)
        for earlier, later in pairwise(steps):
            assert later[0] == earlier[1]
            assert EnrollmentStatus(later[1]) in TRANSITIONS[EnrollmentStatus(earlier[1])]
        assert steps[-1][1] == status


def test_project_statuses_follow_their_dates(demo_db):
    with demo_db.read() as session:
        projects = session.execute(select(Project.status, Project.start_date, Project.end_date)).all()
        statuses = session.execute(
            select(Project.status, Enrollment.status).join(Enrollment, Enrollment.project_id == Project.id)
        ).all()
    assert {p.start_date.year for p in projects} >= set(range(DEMO_TODAY.year - 3, DEMO_TODAY.year + 1))
    for status, start, end in projects:
        if end < DEMO_TODAY:
            assert status == ProjectStatus.FINISHED
        elif start <= DEMO_TODAY:
            assert status == ProjectStatus.RUNNING
        else:
            assert status in (ProjectStatus.OPEN, ProjectStatus.PUBLISHED, ProjectStatus.DRAFT)
    allowed = {
        ProjectStatus.FINISHED: {"completed", "not_completed", "dismissed", "no_show", "withdrawn"},
        ProjectStatus.RUNNING: {"attending", "dismissed", "no_show", "withdrawn"},
        ProjectStatus.OPEN: {"applied", "admitted", "approved", "publicised", "withdrawn"},
    }
    for project_status, enrollment_status in statuses:
        assert enrollment_status in allowed[project_status]


def test_sessions_today_and_tomorrow_and_hours_add_up(demo_db):
    with demo_db.read() as session:
        days = set(session.scalars(select(TrainingSession.date).distinct()))
        sums = session.execute(
            select(Project.hours, func.sum(TrainingSession.hours))
            .join(TrainingClass, TrainingClass.project_id == Project.id)
            .join(TrainingSession, TrainingSession.class_id == TrainingClass.id)
            .group_by(TrainingClass.id)
        ).all()
    assert {DEMO_TODAY, DEMO_TODAY + dt.timedelta(days=1)} <= days
    assert all(project_hours == session_hours for project_hours, session_hours in sums)


def test_attendance_ids_come_from_session_and_enrollment(demo_db):
    with demo_db.read() as session:
        rows = session.execute(
            select(Attendance.id, Attendance.session_id, Attendance.enrollment_id, TrainingSession.date).join(
                TrainingSession, Attendance.session_id == TrainingSession.id
            )
        ).all()
    assert rows
    assert all(row.id == natural_id("attendance", row.session_id, row.enrollment_id) for row in rows)
    assert all(row.date < DEMO_TODAY for row in rows)  # today's check-ins are still to be taken


def test_completions_agree_with_attendance(demo_db):
    with demo_db.read() as session:
        rows = session.execute(
            select(Completion.outcome, Completion.reasons, Completion.override_reason, Project.hours)
            .add_columns(func.coalesce(func.sum(Attendance.hours), 0))
            .join(Enrollment, Completion.enrollment_id == Enrollment.id)
            .join(Project, Enrollment.project_id == Project.id)
            .outerjoin(Attendance, Attendance.enrollment_id == Enrollment.id)
            .group_by(Completion.id)
        ).all()
    assert {row.outcome for row in rows} == {"completed", "not_completed"}
    for outcome, reasons, override, hours, attended in rows:
        assert reasons and reasons[0].startswith("出勤率")
        if outcome == "completed" and not override:
            assert attended >= 0.8 * hours


def test_integrity_bans_last_three_years_from_the_project_end(demo_db):
    with demo_db.read() as session:
        records = session.execute(
            select(
                IntegrityRecord.ban_until, IntegrityRecord.project_end, Project.end_date, Project.program
            ).join(Project, IntegrityRecord.project_id == Project.id)
        ).all()
    assert records
    for ban_until, project_end, end, program in records:
        assert program.startswith("guopei_") and project_end == end
        expected = (
            end.replace(year=end.year + 3)
            if (end.month, end.day) != (2, 29)
            else dt.date(end.year + 3, 2, 28)
        )
        assert ban_until == expected


def test_every_trainee_passes_the_eligibility_engine(demo_db):
    """Each enrollment, judged by the app's own rules against what had happened before it started."""
    with demo_db.read() as session:
        teachers = {t.id: t for t in session.scalars(select(Teacher))}
        schools = {s.id: s for s in session.scalars(select(School))}
        projects = {p.id: p for p in session.scalars(select(Project))}
        pooled = set(
            session.scalars(select(ReservePoolEntry.teacher_id).where(ReservePoolEntry.removed_on.is_(None)))
        )
        enrollments = session.scalars(select(Enrollment)).all()
        records = session.scalars(select(IntegrityRecord)).all()
    by_teacher, bans = defaultdict(list), defaultdict(list)
    for enrollment in enrollments:
        by_teacher[enrollment.teacher_id].append(enrollment)
    for record in records:
        bans[record.teacher_id].append(record)

    def facts(project: Project) -> ProjectFacts:
        return ProjectFacts(
            project.id,
            project.name,
            Program(project.program),
            ProjectType(project.project_type),
            project.start_date,
            project.end_date,
            project.quota,
            Conditions.from_dict(project.conditions),
            project.topic,
        )

    for enrollment in enrollments:
        project, teacher = projects[enrollment.project_id], teachers[enrollment.teacher_id]
        school = schools[teacher.school_id]
        earlier = [
            other
            for other in by_teacher[teacher.id]
            if projects[other.project_id].start_date < project.start_date
        ]
        history = tuple(
            PastEnrollment(
                other.project_id,
                projects[other.project_id].name,
                Program(projects[other.project_id].program),
                ProjectType(projects[other.project_id].project_type),
                projects[other.project_id].start_date,
                projects[other.project_id].end_date,
                EnrollmentStatus(other.status),
                projects[other.project_id].topic,
                tuple(projects[other.project_id].conditions.get("subjects") or ()),
            )
            for other in earlier
        )
        decision = decide(
            TeacherFacts(
                teacher.id,
                teacher.name,
                teacher.birth_date,
                teacher.stage,
                teacher.subject,
                teacher.role,
                teacher.work_start_year,
                school.is_rural,
                school.in_poverty_area,
                teacher.id in pooled,
                teacher.employment_status == EmploymentStatus.ACTIVE,
            ),
            facts(project),
            history=history,
            bans=tuple(
                Ban(record.kind, projects[record.project_id].name, record.ban_until)
                for record in bans[teacher.id]
                if projects[record.project_id].start_date < project.start_date
            ),
            seats_taken=0,
        )
        assert decision.eligible, (project.name, teacher.name, decision.summary())


def test_nobody_is_in_two_projects_at_once(demo_db):
    with demo_db.read() as session:
        rows = session.execute(
            select(Enrollment.teacher_id, Project.start_date, Project.end_date)
            .join(Project, Enrollment.project_id == Project.id)
            .where(Enrollment.status.not_in(["withdrawn", "no_show"]))
        ).all()
    busy = defaultdict(list)
    for teacher_id, start, end in rows:
        busy[teacher_id].append((start, end))
    for spans in busy.values():
        spans.sort()
        assert all(later[0] > earlier[1] for earlier, later in pairwise(spans))


def test_every_synced_row_has_its_outbox_row_and_keys_hold(demo_db):
    with demo_db.read() as session:
        rows = sum(session.scalar(text(f"SELECT count(*) FROM {table}")) for table in SYNCED_TABLES)
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == rows
        assert session.execute(text("PRAGMA foreign_key_check")).all() == []


def test_same_seed_gives_the_same_county(tmp_path):
    counties, summaries, progress = [], [], []
    for name in ("a", "b"):
        percents: list[int] = []
        summaries.append(
            build_demo_county(
                tmp_path / name,
                teachers=1000,
                seed=7,
                today=DEMO_TODAY,
                progress=lambda percent, _message, seen=percents: seen.append(percent),
            )
        )
        progress.append(percents)
        db = open_database(tmp_path / name)
        with db.read() as session:
            counties.append(
                (
                    session.execute(
                        select(Teacher.name, Teacher.id_number).order_by(Teacher.id_number)
                    ).all(),
                    session.execute(
                        select(Project.code, Project.name, Project.status).order_by(Project.code)
                    ).all(),
                    session.execute(
                        select(Enrollment.status, func.count())
                        .group_by(Enrollment.status)
                        .order_by(Enrollment.status)
                    ).all(),
                )
            )
        db.dispose()
    assert counties[0] == counties[1]
    assert summaries[0] == summaries[1] and summaries[0].teachers == 1000
    assert progress[0] == sorted(progress[0]) and progress[0][-1] == 100
