"""Adding, editing and retiring teachers, and one teacher's whole file (教师档案)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from desktop.db.models import (
    Attendance,
    CreditEntry,
    Enrollment,
    IntegrityRecord,
    Project,
    School,
    Teacher,
    TrainingSession,
)
from desktop.domain.audit import AuditAction
from desktop.domain.roles import Permission
from desktop.domain.teacher_rules import TeacherForm, TeacherInvalid, ValidTeacher, validate_teacher
from desktop.services import access, audit, training_cycle
from guopei_common.idnumber import mask_id_number, mask_phone
from guopei_common.training_cycle import CycleTotal
from guopei_common.vocab import AttendanceStatus, EmploymentStatus

PRESENT = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value, AttendanceStatus.LEFT_EARLY.value)


def _apply(teacher: Teacher, valid: ValidTeacher) -> None:
    form = valid.form
    teacher.name = form.name
    teacher.id_number = valid.id_number.value
    teacher.gender = valid.id_number.gender
    teacher.birth_date = valid.id_number.birth_date
    teacher.school_id = form.school_id
    teacher.stage = form.stage
    teacher.subject = form.subject
    teacher.title = form.title
    teacher.role = form.role
    teacher.backbone_level = form.backbone_level
    teacher.phone = form.phone
    teacher.ethnicity = form.ethnicity
    teacher.work_start_year = valid.work_start_year
    teacher.emergency_contact = form.emergency_contact
    teacher.emergency_phone = form.emergency_phone


def _check_unique(session: Session, id_number: str, *, except_id: str | None) -> None:
    other = session.scalar(select(Teacher).where(Teacher.id_number == id_number))
    if other is not None and other.id != except_id:
        raise TeacherInvalid(
            {"id_number": f"身份证号已属于 {other.name}（{other.school.name}），同一人不能登记两次"}
        )


def add_teacher(session: Session, form: TeacherForm, *, today: dt.date) -> str:
    access.require(session, Permission.EDIT_ROSTER)
    valid = validate_teacher(form, today=today)
    _check_unique(session, valid.id_number.value, except_id=None)
    teacher = Teacher()
    _apply(teacher, valid)
    session.add(teacher)
    session.flush()
    audit.record(session, AuditAction.ROSTER_EDIT, teacher_id=teacher.id, entity="teacher", row_id=teacher.id)
    return teacher.id


def update_teacher(session: Session, teacher_id: str, form: TeacherForm, *, today: dt.date) -> None:
    access.require(session, Permission.EDIT_ROSTER)
    valid = validate_teacher(form, today=today)
    _check_unique(session, valid.id_number.value, except_id=teacher_id)
    teacher = session.get_one(Teacher, teacher_id)
    _apply(teacher, valid)
    changed = sorted(key for key, attr in inspect(teacher).attrs.items() if attr.history.has_changes())
    audit.record(
        session,
        AuditAction.ROSTER_EDIT,
        teacher_id=teacher_id,
        entity="teacher",
        row_id=teacher_id,
        detail={"fields": changed},
    )


def set_employment_status(session: Session, teacher_id: str, status: EmploymentStatus, *, note: str) -> None:
    """Retire or transfer a teacher (or bring one back); the row stays, so their history stays."""
    access.require(session, Permission.EDIT_ROSTER)
    teacher = session.get_one(Teacher, teacher_id)
    teacher.employment_status = status.value
    audit.record(
        session,
        AuditAction.ROSTER_EDIT,
        teacher_id=teacher_id,
        entity="teacher",
        row_id=teacher_id,
        detail={"status": status.label},
    )
    if note:
        teacher.note = f"{teacher.note}\n{note}".strip()


def set_employment_statuses(
    session: Session, teacher_ids: Sequence[str], status: EmploymentStatus, *, note: str
) -> None:
    """The same status for several teachers, all of them or none."""
    for teacher_id in teacher_ids:
        set_employment_status(session, teacher_id, status, note=note)


def form_of(session: Session, teacher_id: str) -> TeacherForm:
    """The teacher's current values, for the edit dialog."""
    access.require(session, Permission.EDIT_ROSTER)
    t = session.get_one(Teacher, teacher_id)
    return TeacherForm(
        name=t.name,
        id_number=t.id_number,
        school_id=t.school_id,
        stage=t.stage,
        subject=t.subject,
        title=t.title,
        role=t.role,
        backbone_level=t.backbone_level,
        phone=t.phone,
        ethnicity=t.ethnicity,
        work_start_year=str(t.work_start_year or ""),
        emergency_contact=t.emergency_contact,
        emergency_phone=t.emergency_phone,
    )


@dataclass(frozen=True)
class EnrollmentLine:
    project_code: str
    project_name: str
    program: str
    start: dt.date
    end: dt.date
    status: str
    status_reason: str
    sessions_held: int
    sessions_attended: int

    @property
    def attendance_rate(self) -> float | None:
        return self.sessions_attended / self.sessions_held if self.sessions_held else None


@dataclass(frozen=True)
class CreditLine:
    year: int
    level: str
    hours: float
    credits: float
    status: str
    description: str


@dataclass(frozen=True)
class IntegrityLine:
    kind: str
    project_name: str
    ban_until: dt.date
    reason: str
    id: str = ""  # the record's, for an administrator's correction or annulment


@dataclass(frozen=True)
class TeacherFile:
    """Everything about one teacher, personal numbers in full (shown only in the detail view)."""

    id: str
    name: str
    id_number: str
    phone: str
    gender: str
    birth_date: dt.date
    school_name: str
    employment_status: str
    enrollments: tuple[EnrollmentLine, ...]
    credits: tuple[CreditLine, ...]
    integrity: tuple[IntegrityLine, ...]
    cycle_label: str = ""  # e.g. 2026—2030年周期
    cycle: CycleTotal | None = None  # 学时 and 学分 in the cycle, against its requirement


def teacher_file(session: Session, teacher_id: str, *, today: dt.date) -> TeacherFile:
    access.require(session, Permission.VIEW)
    teacher = session.get_one(Teacher, teacher_id)
    school = session.get_one(School, teacher.school_id)
    held = (
        select(func.count(Attendance.id))
        .join(TrainingSession, Attendance.session_id == TrainingSession.id)
        .where(Attendance.enrollment_id == Enrollment.id, TrainingSession.date <= today)
        .scalar_subquery()
    )
    attended = (
        select(func.count(Attendance.id))
        .where(Attendance.enrollment_id == Enrollment.id, Attendance.status.in_(PRESENT))
        .scalar_subquery()
    )
    enrollments = session.execute(
        select(Project, Enrollment.status, Enrollment.status_reason, held, attended)
        .join(Enrollment, Enrollment.project_id == Project.id)
        .where(Enrollment.teacher_id == teacher_id, Enrollment.deleted.is_(False))
        .order_by(Project.start_date.desc())
    ).all()
    credits = session.scalars(
        select(CreditEntry)
        .where(CreditEntry.teacher_id == teacher_id, CreditEntry.deleted.is_(False))
        .order_by(CreditEntry.year.desc())
    ).all()
    integrity = session.execute(
        select(IntegrityRecord, Project.name)
        .join(Project, IntegrityRecord.project_id == Project.id)
        .where(IntegrityRecord.teacher_id == teacher_id, IntegrityRecord.deleted.is_(False))
        .order_by(IntegrityRecord.ban_until.desc())
    ).all()
    # Full numbers only for roles that may see them, and each such view is in the audit log (the
    # session must then be a write session); the others see the masked forms.
    full = access.may(session, Permission.VIEW_PERSONAL)
    if full:
        audit.record(session, AuditAction.VIEW_PERSONAL, teacher_id=teacher.id)
    return TeacherFile(
        id=teacher.id,
        name=teacher.name,
        id_number=teacher.id_number if full else mask_id_number(teacher.id_number),
        phone=teacher.phone if full else mask_phone(teacher.phone),
        gender=teacher.gender,
        birth_date=teacher.birth_date,
        school_name=school.name,
        employment_status=teacher.employment_status,
        enrollments=tuple(
            EnrollmentLine(
                project_code=p.code,
                project_name=p.name,
                program=p.program,
                start=p.start_date,
                end=p.end_date,
                status=status,
                status_reason=reason,
                sessions_held=n_held or 0,
                sessions_attended=n_attended or 0,
            )
            for p, status, reason, n_held, n_attended in enrollments
        ),
        credits=tuple(
            CreditLine(c.year, c.level, c.hours, c.credits, c.status, c.description) for c in credits
        ),
        integrity=tuple(
            IntegrityLine(record.kind, project_name, record.ban_until, record.reason, id=record.id)
            for record, project_name in integrity
        ),
        cycle_label=training_cycle.training_cycle(session).label(today.year),
        cycle=training_cycle.totals(session, [teacher.id], year=today.year)[teacher.id],
    )
