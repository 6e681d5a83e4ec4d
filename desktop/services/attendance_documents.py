"""Badges (学员证) for a class and the sign-in sheet (签到表) of a session, from the database; and
entering a paper sheet's marks afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Attendance, Enrollment, Project, School, Teacher, TrainingClass
from desktop.domain.badge import badge_text
from desktop.domain.ids import natural_id
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.printing.attendance_docs import Badge, SheetLine, SignInSheet, badges_pdf, sign_in_sheets_pdf
from desktop.services import access, checkin
from guopei_common.vocab import AttendanceStatus, CaptureMethod, EnrollmentStatus

# Who gets a badge: everyone the bureau approved, before and during the training.
BADGED = (
    EnrollmentStatus.APPROVED.value,
    EnrollmentStatus.PUBLICISED.value,
    EnrollmentStatus.ATTENDING.value,
)


def class_badges(session: Session, class_id: str) -> list[Badge]:
    training_class = session.get_one(TrainingClass, class_id)
    project = session.get_one(Project, training_class.project_id)
    rows = session.execute(
        select(Enrollment.id, Teacher.name, School.name)
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(Enrollment.class_id == class_id, Enrollment.deleted.is_(False), Enrollment.status.in_(BADGED))
        .order_by(Teacher.name_sort)
    )
    return [
        Badge(name, school, training_class.name, project.name, badge_text(enrollment_id, project.id))
        for enrollment_id, name, school in rows
    ]


def write_badges(session: Session, class_id: str, out: Path) -> int:
    access.require(session, Permission.PRINT_ATTENDANCE)
    badges = class_badges(session, class_id)
    if not badges:
        raise UserInputError("这个班还没有已审核的学员，无法打印学员证")
    badges_pdf(badges, out)
    return len(badges)


def sheet_of(session: Session, session_id: str) -> tuple[SignInSheet, list[str]]:
    """The sign-in sheet, and the enrollment ids in its 序号 order (for entering the marks back)."""
    info = checkin.session_info(session, session_id)
    training_class = session.get_one(TrainingClass, info.class_id)
    lines = checkin.roll(session, session_id).lines
    sheet = SignInSheet(
        project_name=info.project_name,
        class_name=info.class_name,
        session_title=info.title,
        date=info.date,
        start=info.start,
        end=info.end,
        venue=info.venue,
        class_teacher=training_class.class_teacher,
        requires_sign_out=info.requires_sign_out,
        trainees=tuple(
            SheetLine(number, line.name, line.school) for number, line in enumerate(lines, start=1)
        ),
    )
    return sheet, [line.enrollment_id for line in lines]


def write_sign_in_sheet(session: Session, session_id: str, out: Path) -> int:
    access.require(session, Permission.PRINT_ATTENDANCE)
    sheet, order = sheet_of(session, session_id)
    if not order:
        raise UserInputError("这个课次没有应到学员，无法打印签到表")
    sign_in_sheets_pdf([sheet], out)
    return len(order)


PAPER_MARKS = {
    AttendanceStatus.PRESENT: "出勤",
    AttendanceStatus.LATE: "迟到",
    AttendanceStatus.LEFT_EARLY: "早退",
    AttendanceStatus.EXCUSED: "请假",
    AttendanceStatus.ABSENT: "缺勤",
}


@dataclass(frozen=True)
class PaperMark:
    """One line of a paper sheet: its mark and, for 迟到/早退, the minutes missed (from the times the
    trainee wrote beside the name), which cost hours by the same presence rule as the door."""

    status: AttendanceStatus
    minutes: int = 0

    def label(self) -> str:
        text = PAPER_MARKS[self.status]
        return f"{text} {self.minutes} 分钟" if self.status in TIMED_MARKS else text


TIMED_MARKS = (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


def record_paper_marks(
    session: Session,
    session_id: str,
    marks: Mapping[str, PaperMark | AttendanceStatus],
    *,
    note: str = "纸质签到表补录",
) -> int:
    """Write the marks read off a paper sheet (enrollment id → mark; a bare status for 出勤/请假/缺勤).
    A late arrival or an early departure earns the session's hours less the minutes missed beyond the
    grace period, as a scan at that time would. A check-in already taken on the laptop is kept: the
    paper fills gaps, it does not overwrite a scan."""
    access.require(session, Permission.CHECK_IN)
    info = checkin.session_info(session, session_id)
    start = dt.datetime.combine(info.date, info.start)
    end = dt.datetime.combine(info.date, info.end)
    written = 0
    for enrollment_id, given in marks.items():
        mark = given if isinstance(given, PaperMark) else PaperMark(given)
        status = mark.status
        if status in TIMED_MARKS and mark.minutes <= 0:
            raise UserInputError(f"“{PAPER_MARKS[status]}”须填写分钟数（签到表上写的时间）")
        attendance_id = natural_id("attendance", session_id, enrollment_id)
        row = checkin.find_attendance(session, session_id, enrollment_id)
        if row is not None and not row.deleted and row.method != CaptureMethod.PAPER.value:
            continue
        if row is None:
            row = Attendance(id=attendance_id, session_id=session_id, enrollment_id=enrollment_id)
            session.add(row)
        present = status in (AttendanceStatus.PRESENT, *TIMED_MARKS)
        late = mark.minutes if status == AttendanceStatus.LATE else 0
        early = mark.minutes if status == AttendanceStatus.LEFT_EARLY else 0
        row.deleted = False
        row.status = status.value
        row.method = CaptureMethod.PAPER.value
        row.checked_in_at = start + dt.timedelta(minutes=late) if present else None
        row.checked_out_at = end - dt.timedelta(minutes=early) if early else None
        row.hours = (
            checkin.session_presence(
                session, info, checked_in_at=row.checked_in_at, checked_out_at=row.checked_out_at
            ).hours
            if present
            else 0.0
        )
        row.note = f"{note}：{mark.label()}" if status in TIMED_MARKS else note
        written += 1
    session.flush()
    return written
