"""Attendance figures per trainee (考勤汇总): sessions held so far, attended, hours, rate, absences.

A session counts as held when its date is past, or when it is today and somebody has already been
present at it; a session later today that nobody has reached yet must not turn everyone absent.
Completion asks for something stricter (`ended_by`): only sessions whose end has passed.

Late arrival and early departure past the grace period already cost hours on the attendance row
(`desktop.domain.presence`, applied at check-in and sign-out); the summary shows what they cost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import (
    Attendance,
    Enrollment,
    EnrollmentEvent,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.io.xlsx_writer import write_xlsx
from desktop.services.checkin import PRESENT
from guopei_common.vocab import AttendanceStatus, EnrollmentStatus

# Trainees a summary lists: those who were on the list for the training, whatever came of it.
LISTED = (
    EnrollmentStatus.PUBLICISED.value,
    EnrollmentStatus.ATTENDING.value,
    EnrollmentStatus.COMPLETED.value,
    EnrollmentStatus.NOT_COMPLETED.value,
    EnrollmentStatus.DISMISSED.value,
)
UNPLACED = "未分班"
HEADERS = (
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
)


@dataclass(frozen=True)
class TraineeSummary:
    enrollment_id: str
    name: str
    school: str
    class_name: str
    status: str  # vocab.EnrollmentStatus
    sessions_held: int
    sessions_attended: int  # present, late or left early
    hours_attended: float
    hours_scheduled: float  # every session of the class, held or not: what the trainee must complete
    absences: int  # held sessions with no attendance row, or marked absent
    excused: int
    late: int
    # Hours of held sessions lost to late arrival or early departure (already left out of hours_attended).
    hours_lost_late_early: float
    hours_held: float  # hours of the sessions held so far: what absence is measured against now

    @property
    def attendance_rate(self) -> float | None:
        """Sessions attended over sessions held; None before the first session is held."""
        return self.sessions_attended / self.sessions_held if self.sessions_held else None


@dataclass(frozen=True)
class _Slot:
    id: str
    class_id: str
    starts: dt.datetime
    hours: float
    held: bool


_LATE_OR_EARLY = (AttendanceStatus.LATE.value, AttendanceStatus.LEFT_EARLY.value)


@dataclass(frozen=True)
class _Mark:
    status: str
    hours: float


def _natural(text: str) -> tuple[object, ...]:
    """Natural order, "2班" before "10班": digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _slots(session: Session, project_id: str, today: dt.date, ended_by: dt.datetime | None) -> list[_Slot]:
    """The project's sessions; with `ended_by`, held means ended by then, whoever came."""
    rows = session.execute(
        select(TrainingSession)
        .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
        .where(TrainingClass.project_id == project_id, TrainingSession.deleted.is_(False))
        .order_by(TrainingSession.date, TrainingSession.start_time)
    ).scalars()
    sessions = list(rows)
    todays = [s.id for s in sessions if s.date == today]
    begun = set(
        session.scalars(
            select(Attendance.session_id).where(
                Attendance.session_id.in_(todays),
                Attendance.deleted.is_(False),
                Attendance.status.in_(PRESENT),
            )
        )
    )
    return [
        _Slot(
            s.id,
            s.class_id,
            dt.datetime.combine(s.date, s.start_time),
            s.hours,
            (
                dt.datetime.combine(s.date, s.end_time) <= ended_by
                if ended_by is not None
                else s.date < today or s.id in begun
            ),
        )
        for s in sessions
    ]


def _summaries(
    session: Session,
    project_id: str,
    *,
    today: dt.date,
    class_id: str | None,
    ended_by: dt.datetime | None = None,
) -> list[tuple[str, TraineeSummary]]:
    """(pinyin sort key, summary) for the listed trainees of the project, or of one class of it."""
    class_names = dict(
        session.execute(
            select(TrainingClass.id, TrainingClass.name).where(
                TrainingClass.project_id == project_id, TrainingClass.deleted.is_(False)
            )
        ).all()
    )
    # With a single class, a trainee not yet placed can only be in it (the roll expects them there).
    sole_class = next(iter(class_names)) if len(class_names) == 1 else None
    slots = _slots(session, project_id, today, ended_by)
    query = (
        select(
            Enrollment.id,
            Enrollment.class_id,
            Enrollment.status,
            Teacher.name,
            Teacher.name_sort,
            School.name,
        )
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(
            Enrollment.project_id == project_id,
            Enrollment.deleted.is_(False),
            Enrollment.status.in_(LISTED),
        )
    )
    if class_id is not None:
        placed = Enrollment.class_id == class_id
        query = query.where((placed | Enrollment.class_id.is_(None)) if class_id == sole_class else placed)
    trainees = session.execute(query).all()
    ids = [row[0] for row in trainees]
    marks: dict[tuple[str, str], _Mark] = {
        (enrollment_id, session_id): _Mark(status, hours)
        for enrollment_id, session_id, status, hours in session.execute(
            select(
                Attendance.enrollment_id, Attendance.session_id, Attendance.status, Attendance.hours
            ).where(Attendance.enrollment_id.in_(ids), Attendance.deleted.is_(False))
        )
    }
    # A dismissed trainee shows what they had until the dismissal, not absences for what came after.
    dismissed_at = dict(
        session.execute(
            select(EnrollmentEvent.enrollment_id, func.max(EnrollmentEvent.at))
            .where(
                EnrollmentEvent.enrollment_id.in_(ids),
                EnrollmentEvent.to_status == EnrollmentStatus.DISMISSED.value,
                EnrollmentEvent.deleted.is_(False),
            )
            .group_by(EnrollmentEvent.enrollment_id)
        ).all()
    )
    result = []
    for enrollment_id, placed_in, status, name, name_sort, school in trainees:
        own_class = placed_in or sole_class
        if own_class is not None:
            expected = [slot for slot in slots if slot.class_id == own_class]
            class_name = class_names.get(own_class, "")
        else:
            # Unplaced among several classes: only the sessions they were seen at can be theirs.
            expected = [slot for slot in slots if (enrollment_id, slot.id) in marks]
            class_name = UNPLACED
        cutoff = dismissed_at.get(enrollment_id) if status == EnrollmentStatus.DISMISSED.value else None
        held = [slot for slot in expected if slot.held and (cutoff is None or slot.starts < cutoff)]
        seen = [marks.get((enrollment_id, slot.id)) for slot in held]
        lost = [
            max(slot.hours - mark.hours, 0.0)
            for slot, mark in zip(held, seen, strict=True)
            if mark and mark.status in _LATE_OR_EARLY
        ]
        statuses = [mark.status if mark else None for mark in seen]
        summary = TraineeSummary(
            enrollment_id=enrollment_id,
            name=name,
            school=school,
            class_name=class_name,
            status=status,
            sessions_held=len(held),
            sessions_attended=sum(1 for s in statuses if s in PRESENT),
            hours_attended=round(sum(mark.hours for mark in seen if mark and mark.status in PRESENT), 2),
            hours_scheduled=round(sum(slot.hours for slot in expected), 2),
            absences=sum(1 for s in statuses if s in (None, AttendanceStatus.ABSENT.value)),
            excused=statuses.count(AttendanceStatus.EXCUSED.value),
            late=statuses.count(AttendanceStatus.LATE.value),
            hours_lost_late_early=round(sum(lost), 2),
            hours_held=round(sum(slot.hours for slot in held), 2),
        )
        result.append((name_sort, summary))
    return result


def class_summary(session: Session, class_id: str, *, today: dt.date) -> list[TraineeSummary]:
    """One class's trainees in pinyin order."""
    project_id = session.get_one(TrainingClass, class_id).project_id
    rows = _summaries(session, project_id, today=today, class_id=class_id)
    return [summary for _key, summary in sorted(rows, key=lambda pair: pair[0])]


def project_summary(
    session: Session, project_id: str, *, today: dt.date, ended_by: dt.datetime | None = None
) -> list[TraineeSummary]:
    """Every class of the project, class by class (2班 before 10班, 未分班 last), each in pinyin order.
    With `ended_by`, only sessions ended by then count as held (what completion measures)."""
    rows = _summaries(session, project_id, today=today, class_id=None, ended_by=ended_by)
    rows.sort(key=lambda pair: (pair[1].class_name == UNPLACED, _natural(pair[1].class_name), pair[0]))
    return [summary for _key, summary in rows]


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def export_summary_xlsx(rows: Iterable[TraineeSummary], out: Path) -> int:
    """The summary as a sheet for the class teacher and the sending schools; returns rows written."""
    return write_xlsx(
        out,
        sheet_title="考勤汇总",
        headers=HEADERS,
        rows=(
            [
                row.name,
                row.school,
                row.class_name,
                row.sessions_held,
                row.sessions_attended,
                _rate(row.attendance_rate),
                row.hours_attended,
                row.hours_scheduled,
                row.absences,
                row.excused,
                row.late,
                row.hours_lost_late_early,
            ]
            for row in rows
        ),
        widths=[10, 24, 12, 9, 9, 9, 9, 9, 7, 7, 7, 12],
    )
