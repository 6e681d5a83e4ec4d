"""Taking attendance at a session (考勤): scan or type, decide, commit, and only then say so.

A check-in is one attendance row whose id is derived from (session, enrollment), so the same
check-in taken on two laptops merges into one row when they sync, and a second scan here finds the
first. Every function that writes does so in the caller's `Database.write()` transaction, which is
committed with synchronous=FULL before the screen turns green.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import (
    Attendance,
    Enrollment,
    Project,
    School,
    Setting,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.badge import InvalidBadge, looks_like_badge, parse_badge
from desktop.domain.enrollment_flow import arrival_refusal
from desktop.domain.ids import natural_id
from desktop.domain.policy_text import EPIDEMIC
from desktop.domain.presence import Presence, presence
from desktop.domain.roles import Permission
from desktop.services import access
from desktop.services.projects import offline_suspended
from desktop.services.roster import normalise_query
from guopei_common.errors import UserError
from guopei_common.idnumber import InvalidIdNumber, normalize_id_number, parse_id_number
from guopei_common.vocab import AttendanceStatus, CaptureMethod, EnrollmentStatus, SessionFormat

GRACE_SETTING = settings.ATTENDANCE_GRACE_MINUTES.key
DEFAULT_GRACE_MINUTES = settings.ATTENDANCE_GRACE_MINUTES.default
# Trainees expected at a session: admitted to the list and not gone.
EXPECTED = (EnrollmentStatus.PUBLICISED.value, EnrollmentStatus.ATTENDING.value)
PRESENT = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value, AttendanceStatus.LEFT_EARLY.value)


class Outcome(StrEnum):
    CHECKED_IN = "checked_in"  # green
    LATE = "late"  # amber
    SIGNED_OUT = "signed_out"  # green
    LEFT_EARLY = "left_early"  # amber
    REPEAT = "repeat"  # red: already checked in
    OTHER_CLASS = "other_class"  # red
    NOT_ENROLLED = "not_enrolled"  # red
    NOT_ALLOWED = "not_allowed"  # red: dismissed, withdrawn …
    NOT_FOUND = "not_found"  # red: nothing matches
    CHOOSE = "choose"  # several names match: pick one
    UNDONE = "undone"


GOOD = frozenset({Outcome.CHECKED_IN, Outcome.SIGNED_OUT})
WARN = frozenset({Outcome.LATE, Outcome.LEFT_EARLY, Outcome.UNDONE, Outcome.CHOOSE})


@dataclass(frozen=True)
class Choice:
    enrollment_id: str
    name: str
    school: str
    # A name may match trainees of the project's other classes: each choice says its class and that
    # class's sessions that day, so nobody is checked in to the wrong room by a namesake.
    class_name: str = ""
    when: str = ""

    def label(self) -> str:
        return "  ".join(part for part in (self.name, self.school, self.class_name, self.when) if part)


@dataclass(frozen=True)
class ScanResult:
    outcome: Outcome
    headline: str  # large text: the name, or what went wrong
    detail: str  # school, class, time, or the reason
    enrollment_id: str | None = None
    choices: tuple[Choice, ...] = field(default_factory=tuple)
    # The attendance status the scan stored (None when it stored nothing): the roll on screen updates
    # this one line instead of reading the class again.
    status: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    id: str
    project_id: str
    project_name: str
    class_id: str
    class_name: str
    title: str
    date: dt.date
    start: dt.time
    end: dt.time
    hours: float
    venue: str
    requires_sign_out: bool
    # What a check-in's refusal rules read, loaded with the rest so a scan need not read them again.
    format: str
    publicity_end: dt.date | None

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}  {self.project_name}  {self.class_name}  {self.title}"


def find_attendance(session: Session, session_id: str, enrollment_id: str) -> Attendance | None:
    """The check-in of a trainee at a session, found by the pair rather than by its derived id: when
    the province merges an enrollment into another (the same trainee enrolled on two laptops), sync
    re-keys it, and its earlier check-ins keep ids derived from the old enrollment id."""
    return session.scalars(
        select(Attendance).where(
            Attendance.session_id == session_id, Attendance.enrollment_id == enrollment_id
        )
    ).one_or_none()


def grace_minutes(session: Session) -> int:
    setting = session.get(Setting, GRACE_SETTING)
    return int(setting.value) if setting else DEFAULT_GRACE_MINUTES


def sessions_on(session: Session, day: dt.date) -> list[SessionInfo]:
    rows = session.execute(
        select(TrainingSession, TrainingClass, Project)
        .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
        .join(Project, TrainingClass.project_id == Project.id)
        .where(TrainingSession.date == day, TrainingSession.deleted.is_(False))
        .order_by(TrainingSession.start_time, Project.name, TrainingClass.name)
    )
    return [_info(s, c, project) for s, c, project in rows]


def _info(s: TrainingSession, c: TrainingClass, project: Project) -> SessionInfo:
    return SessionInfo(
        s.id,
        c.project_id,
        project.name,
        c.id,
        c.name,
        s.title,
        s.date,
        s.start_time,
        s.end_time,
        s.hours,
        c.venue,
        s.requires_sign_out,
        s.format,
        project.publicity_end,
    )


def current_session(sessions: list[SessionInfo], now: dt.datetime) -> SessionInfo | None:
    """The session under way (from an hour before its start to its end), else the next one today."""
    moment = now.time()
    for info in sessions:
        opens = (dt.datetime.combine(now.date(), info.start) - dt.timedelta(hours=1)).time()
        if opens <= moment <= info.end:
            return info
    upcoming = [info for info in sessions if info.start > moment]
    return upcoming[0] if upcoming else (sessions[-1] if sessions else None)


def session_info(session: Session, session_id: str) -> SessionInfo:
    s = session.get_one(TrainingSession, session_id)
    c = session.get_one(TrainingClass, s.class_id)
    return _info(s, c, session.get_one(Project, c.project_id))


def _who(session: Session, enrollment: Enrollment) -> tuple[str, str]:
    # One statement, not two ORM loads: this runs for every scan at the door.
    teacher = select(Teacher.name).where(Teacher.id == enrollment.teacher_id).scalar_subquery()
    school = select(School.name).where(School.id == enrollment.sending_school_id).scalar_subquery()
    name, school_name = session.execute(select(teacher, school)).one()
    return name, school_name


def _resolve(
    session: Session, info: SessionInfo, text: str
) -> tuple[Enrollment | None, ScanResult | None, str]:
    """The enrollment the scanned or typed text means, or the result that explains why none."""
    text = text.strip()
    if looks_like_badge(text):
        try:
            code = parse_badge(text)
        except InvalidBadge as error:
            return None, ScanResult(Outcome.NOT_FOUND, "无法识别", str(error)), CaptureMethod.BADGE
        enrollment = session.get(Enrollment, code.enrollment_id)
        if enrollment is None or not code.matches(enrollment.project_id):
            return (
                None,
                ScanResult(Outcome.NOT_FOUND, "学员证无效", "二维码校验未通过：可能是打错或伪造的码"),
                "badge",
            )
        if enrollment.project_id != info.project_id:
            name, _school = _who(session, enrollment)
            other = session.get_one(Project, enrollment.project_id).name
            return (
                None,
                ScanResult(Outcome.NOT_ENROLLED, name, f"这是“{other}”的学员证，不是本项目的"),
                "badge",
            )
        return enrollment, None, CaptureMethod.BADGE
    digits = normalize_id_number(text)
    if len(digits) in (15, 18) and digits[:-1].isdigit():
        try:
            number = parse_id_number(digits).value
        except InvalidIdNumber as error:
            return None, ScanResult(Outcome.NOT_FOUND, "身份证号有误", error.reason), CaptureMethod.ID_NUMBER
        teacher = session.scalar(select(Teacher).where(Teacher.id_number == number))
        if teacher is None:
            return None, ScanResult(Outcome.NOT_FOUND, "查无此人", "花名册中没有这个身份证号"), "id_number"
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.teacher_id == teacher.id, Enrollment.project_id == info.project_id
            )
        )
        if enrollment is None:
            return (
                None,
                ScanResult(Outcome.NOT_ENROLLED, teacher.name, "未报名本项目"),
                CaptureMethod.ID_NUMBER,
            )
        return enrollment, None, CaptureMethod.ID_NUMBER
    return _by_name(session, info, text)


def _by_name(
    session: Session, info: SessionInfo, text: str
) -> tuple[Enrollment | None, ScanResult | None, str]:
    query = normalise_query(text)
    if not query:
        return (
            None,
            ScanResult(Outcome.NOT_FOUND, "请扫码或输入", "学员证二维码、身份证号、姓名或拼音"),
            "name",
        )
    if query.isascii():
        condition = (Teacher.name_initials.startswith(query)) | (Teacher.name_pinyin.startswith(query))
    else:
        condition = (
            (Teacher.name == query) | Teacher.name.startswith(query) | Teacher.given_name.startswith(query)
        )
    rows = session.execute(
        select(Enrollment, Teacher.name, School.name)
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(Enrollment.project_id == info.project_id, Enrollment.deleted.is_(False), condition)
        .order_by((Enrollment.class_id == info.class_id).desc(), Teacher.name_sort)  # this class first
        .limit(9)
    ).all()
    exact = [row for row in rows if row[1] == text.strip()]
    if len(exact) == 1:
        rows = exact
    if not rows:
        return None, ScanResult(Outcome.NOT_FOUND, "查无此人", f"本项目学员中没有“{text.strip()}”"), "name"
    if len(rows) > 1:
        classes = _classes_on(session, {e.class_id for e, _, _ in rows if e.class_id}, info.date)
        choices = tuple(
            Choice(e.id, name, school, *classes.get(e.class_id, ("未分班", ""))) for e, name, school in rows
        )
        return (
            None,
            ScanResult(Outcome.CHOOSE, "请选择", f"有 {len(rows)} 人符合“{text.strip()}”", choices=choices),
            "name",
        )
    return rows[0][0], None, CaptureMethod.NAME


def _classes_on(session: Session, class_ids: set[str], day: dt.date) -> dict[str, tuple[str, str]]:
    """Each class's name and its session times on `day` ("当天无课" when it has none)."""
    names = dict(
        session.execute(
            select(TrainingClass.id, TrainingClass.name).where(TrainingClass.id.in_(class_ids))
        ).all()
    )
    times: dict[str, list[str]] = {}
    for class_id, start, end in session.execute(
        select(TrainingSession.class_id, TrainingSession.start_time, TrainingSession.end_time)
        .where(
            TrainingSession.class_id.in_(class_ids),
            TrainingSession.date == day,
            TrainingSession.deleted.is_(False),
        )
        .order_by(TrainingSession.start_time)
    ):
        times.setdefault(class_id, []).append(f"{start:%H:%M}–{end:%H:%M}")
    return {key: (name, "、".join(times.get(key, ["当天无课"]))) for key, name in names.items()}


def scan(
    session: Session,
    session_id: str,
    text: str,
    *,
    now: dt.datetime,
    sign_out: bool = False,
    info: SessionInfo | None = None,
) -> ScanResult:
    """One scan at the door. Writes the attendance row (or changes nothing) in the caller's transaction.
    `info`: the session as the caller already holds it (the check-in screen), saving three reads a scan."""
    access.require(session, Permission.CHECK_IN)
    info = info if info is not None and info.id == session_id else session_info(session, session_id)
    enrollment, refusal, method = _resolve(session, info, text)
    if refusal is not None:
        return refusal
    assert enrollment is not None
    return record(session, info, enrollment.id, now=now, sign_out=sign_out, method=str(method))


def record(
    session: Session, info: SessionInfo, enrollment_id: str, *, now: dt.datetime, sign_out: bool, method: str
) -> ScanResult:
    access.require(session, Permission.CHECK_IN)
    enrollment = session.get_one(Enrollment, enrollment_id)
    name, school = _who(session, enrollment)
    if enrollment.status not in EXPECTED:
        reason = enrollment.status_reason or EnrollmentStatus(enrollment.status).label
        return ScanResult(
            Outcome.NOT_ALLOWED, name, f"{EnrollmentStatus(enrollment.status).label}：{reason}", enrollment.id
        )
    if enrollment.class_id and enrollment.class_id != info.class_id:
        other = session.get_one(TrainingClass, enrollment.class_id).name
        return ScanResult(Outcome.OTHER_CLASS, name, f"属于 {other}，请到 {other} 签到", enrollment.id)
    refusal = None if sign_out else _check_in_refusal(session, info, enrollment, now.date())
    if refusal is not None:
        return ScanResult(Outcome.NOT_ALLOWED, name, refusal, enrollment.id)
    attendance_id = natural_id("attendance", info.id, enrollment.id)
    row = find_attendance(session, info.id, enrollment.id)
    if sign_out:
        if row is None or row.deleted or row.status not in PRESENT:
            return ScanResult(Outcome.NOT_FOUND, name, "尚未签到，不能签退", enrollment.id)
        if row.checked_out_at is not None:
            return ScanResult(Outcome.REPEAT, name, f"已签退（{row.checked_out_at:%H:%M}）", enrollment.id)
        there = session_presence(session, info, checked_in_at=row.checked_in_at, checked_out_at=now)
        row.checked_out_at = now
        row.hours = there.hours
        if there.left_early:
            row.status = AttendanceStatus.LEFT_EARLY.value
            session.flush()
            return ScanResult(
                Outcome.LEFT_EARLY,
                name,
                f"早退 {now:%H:%M}（应 {info.end:%H:%M} 结束），计 {there.hours:g} 学时",
                enrollment.id,
                status=row.status,
            )
        session.flush()
        return ScanResult(
            Outcome.SIGNED_OUT, name, f"签退成功 {now:%H:%M}  {school}", enrollment.id, status=row.status
        )
    if row is not None and not row.deleted and row.status in PRESENT:
        return ScanResult(Outcome.REPEAT, name, f"已签到（{row.checked_in_at:%H:%M}）", enrollment.id)
    there = session_presence(session, info, checked_in_at=now, checked_out_at=None)
    if row is None:
        row = Attendance(id=attendance_id, session_id=info.id, enrollment_id=enrollment.id)
        session.add(row)
    row.deleted = False
    row.checked_in_at = now
    row.checked_out_at = None
    row.status = (AttendanceStatus.LATE if there.late else AttendanceStatus.PRESENT).value
    row.method = method
    row.hours = there.hours
    row.note = ""
    if enrollment.status == EnrollmentStatus.PUBLICISED.value:
        enrollment.status = EnrollmentStatus.ATTENDING.value  # 报到: the first check-in is the arrival
    session.flush()
    if there.late:
        return ScanResult(
            Outcome.LATE,
            name,
            f"迟到 {there.late_minutes} 分钟（{now:%H:%M}），计 {there.hours:g} 学时  {school}",
            enrollment.id,
            status=row.status,
        )
    return ScanResult(
        Outcome.CHECKED_IN, name, f"签到成功 {now:%H:%M}  {school}", enrollment.id, status=row.status
    )


def _check_in_refusal(
    session: Session, info: SessionInfo, enrollment: Enrollment, day: dt.date
) -> str | None:
    """Why the trainee may not check in: a face-to-face session while the province suspends them (一.),
    or, at the first check-in (报到), a 公示 period not over yet."""
    if info.format == SessionFormat.FACE_TO_FACE and offline_suspended(session):
        return f"疫情防控期间暂停线下集中面授，本课次不能签到（{EPIDEMIC.cite()}）"
    if enrollment.status == EnrollmentStatus.PUBLICISED:
        return arrival_refusal(info.publicity_end, day)
    return None


def session_presence(
    session: Session,
    info: SessionInfo,
    *,
    checked_in_at: dt.datetime | None,
    checked_out_at: dt.datetime | None,
) -> Presence:
    """The hours a check-in (and sign-out, if any) earns at the session, late and early counted."""
    return presence(
        starts=dt.datetime.combine(info.date, info.start),
        ends=dt.datetime.combine(info.date, info.end),
        hours=info.hours,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        grace_minutes=grace_minutes(session),
    )


def at_door(
    session: Session,
    info: SessionInfo,
    text: str,
    *,
    choices: Sequence[Choice],
    now: dt.datetime,
    sign_out: bool,
) -> ScanResult:
    """One input at the door: a number picks one of the `choices` the last scan offered (a name that
    several trainees share), anything else is a scan."""
    picked = text.strip()
    if choices and picked.isdigit() and 1 <= int(picked) <= len(choices):
        choice = choices[int(picked) - 1]
        return record(session, info, choice.enrollment_id, now=now, sign_out=sign_out, method="name")
    return scan(session, info.id, text, now=now, sign_out=sign_out, info=info)


def undo(session: Session, session_id: str, enrollment_id: str, *, sign_out: bool) -> ScanResult:
    """Take back the last scan: a sign-out is cleared, a check-in is tombstoned (a later scan revives it)."""
    access.require(session, Permission.CHECK_IN)
    row = find_attendance(session, session_id, enrollment_id)
    enrollment = session.get_one(Enrollment, enrollment_id)
    name, _school = _who(session, enrollment)
    if row is None or row.deleted:
        return ScanResult(Outcome.NOT_FOUND, name, "没有可撤销的签到")
    if sign_out:
        there = session_presence(
            session, session_info(session, session_id), checked_in_at=row.checked_in_at, checked_out_at=None
        )
        row.checked_out_at = None
        row.status = (AttendanceStatus.LATE if there.late else AttendanceStatus.PRESENT).value
        row.hours = there.hours
    else:
        row.deleted = True
    session.flush()
    return ScanResult(Outcome.UNDONE, name, "已撤销" + ("签退" if sign_out else "签到"), enrollment_id)


def excuse(
    session: Session, session_id: str, enrollment_id: str, *, reason: str, now: dt.datetime
) -> ScanResult:
    """请假: an excused absence with its reason."""
    access.require(session, Permission.CHECK_IN)
    if not reason.strip():
        raise UserError("请假须填写原因")
    attendance_id = natural_id("attendance", session_id, enrollment_id)
    row = find_attendance(session, session_id, enrollment_id)
    if row is None:
        row = Attendance(id=attendance_id, session_id=session_id, enrollment_id=enrollment_id)
        session.add(row)
    row.deleted = False
    row.status = AttendanceStatus.EXCUSED.value
    row.checked_in_at = None
    row.hours = 0.0
    row.method = CaptureMethod.MANUAL.value
    row.note = reason.strip()
    session.flush()
    name, _school = _who(session, session.get_one(Enrollment, enrollment_id))
    return ScanResult(Outcome.UNDONE, name, f"已登记请假：{reason.strip()}", enrollment_id)


@dataclass(frozen=True)
class RollLine:
    enrollment_id: str
    name: str
    school: str
    status: str | None  # AttendanceStatus, or None when not yet seen
    checked_in_at: dt.datetime | None


@dataclass(frozen=True)
class Roll:
    lines: tuple[RollLine, ...]

    def count(self, *statuses: str | None) -> int:
        return sum(1 for line in self.lines if line.status in statuses)

    @property
    def expected(self) -> int:
        return len(self.lines)

    @property
    def missing(self) -> list[RollLine]:
        return [line for line in self.lines if line.status in (None, AttendanceStatus.ABSENT.value)]


def roll(session: Session, session_id: str) -> Roll:
    info = session_info(session, session_id)
    rows = session.execute(
        select(Enrollment.id, Teacher.name, School.name, Attendance.status, Attendance.checked_in_at)
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .outerjoin(
            Attendance,
            (Attendance.enrollment_id == Enrollment.id)
            & (Attendance.session_id == session_id)
            & Attendance.deleted.is_(False),
        )
        .where(
            Enrollment.project_id == info.project_id,
            Enrollment.deleted.is_(False),
            Enrollment.status.in_(EXPECTED),
            (Enrollment.class_id == info.class_id) | Enrollment.class_id.is_(None),
        )
        .order_by(Teacher.name_sort)
    )
    return Roll(tuple(RollLine(*row) for row in rows))
