"""The demo county is realistic, complete and deterministic."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from desktop.db.engine import open_database
from desktop.db.models import (
    Attendance,
    Enrollment,
    IntegrityRecord,
    OutboxEntry,
    Project,
    School,
    Teacher,
    TrainingSession,
)
from desktop.domain.idnumber import parse_id_number
from desktop.domain.ids import natural_id
from desktop.domain.vocab import EnrollmentStatus
from desktop.services.demo_county import build_demo_county
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


def test_demo_county_is_realistic_and_complete(demo_db):
    with demo_db.read() as session:
        assert session.scalar(select(func.count()).select_from(School)) == 40
        teachers = session.execute(select(Teacher.name, Teacher.id_number, Teacher.gender)).all()
        assert len(teachers) == 3000
        assert len({t.id_number for t in teachers}) == 3000
        for teacher in teachers:
            assert parse_id_number(teacher.id_number, today=DEMO_TODAY).gender == teacher.gender
        assert any("䶮" in t.name or "㛃" in t.name for t in teachers)
        statuses = set(session.scalars(select(Enrollment.status).distinct()))
        assert statuses == {status.value for status in EnrollmentStatus}
        assert session.scalar(
            select(func.count()).select_from(TrainingSession).where(TrainingSession.date == DEMO_TODAY)
        )
        assert session.scalar(
            select(func.count())
            .select_from(TrainingSession)
            .where(TrainingSession.date == DEMO_TODAY + dt.timedelta(days=1))
        )
        years = set(session.scalars(select(func.strftime("%Y", Project.start_date)).distinct()))
        assert len(years) >= 4


def test_attendance_ids_come_from_session_and_enrollment(demo_db):
    with demo_db.read() as session:
        rows = session.execute(select(Attendance.id, Attendance.session_id, Attendance.enrollment_id)).all()
    assert rows
    assert all(row.id == natural_id("attendance", row.session_id, row.enrollment_id) for row in rows)


def test_integrity_bans_last_three_years_from_the_project_end(demo_db):
    with demo_db.read() as session:
        records = session.execute(
            select(IntegrityRecord.ban_until, Project.end_date, Project.program).join(
                Project, IntegrityRecord.project_id == Project.id
            )
        ).all()
    assert records
    for ban_until, end, program in records:
        assert program.startswith("guopei_")
        assert (ban_until - end).days in (1095, 1096)


def test_every_synced_row_has_its_outbox_row_and_keys_hold(demo_db):
    with demo_db.read() as session:
        rows = sum(session.scalar(text(f"SELECT count(*) FROM {table}")) for table in SYNCED_TABLES)
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == rows
        assert session.execute(text("PRAGMA foreign_key_check")).all() == []


def test_same_seed_gives_the_same_county(tmp_path):
    people = []
    for name in ("a", "b"):
        build_demo_county(tmp_path / name, teachers=400, seed=7, today=DEMO_TODAY)
        db = open_database(tmp_path / name)
        with db.read() as session:
            people.append(
                session.execute(select(Teacher.name, Teacher.id_number).order_by(Teacher.id_number)).all()
            )
        db.dispose()
    assert people[0] == people[1]
