"""Importing the learning records online platforms export (线上学时导入) into a project's online sessions.

The platforms give one row per person, course and day: 姓名 and/or 身份证号, 课程, 学时 or 时长, 日期.
The preview matches each row to a trainee of the project (by ID number, else by an unambiguous name)
and to the online session of that trainee's class on that day, and says for every refusal which cell
and why. Applying writes the attendance rows in the caller's one transaction: all of them, or none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Attendance, Enrollment, Project, Teacher, TrainingClass, TrainingSession
from desktop.domain.ids import natural_id
from desktop.domain.roles import Permission
from desktop.io.spreadsheet import (
    Cell,
    HeaderMatch,
    Record,
    SpreadsheetError,
    find_header,
    read_sheet,
    records,
)
from desktop.io.xlsx_writer import write_xlsx
from desktop.services import access
from desktop.services.checkin import PRESENT, find_attendance
from desktop.services.roster_import import Problem
from guopei_common.idnumber import InvalidIdNumber, mask_id_number, parse_id_number
from guopei_common.vocab import AttendanceStatus, CaptureMethod, EnrollmentStatus, SessionFormat

# Field -> the column headings the platforms use for it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "学员姓名", "教师姓名", "真实姓名"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证"),
    "course": ("课程", "课程名称"),
    "hours": ("学时", "时长", "学习时长", "获得学时"),
    "date": ("日期", "学习日期"),
}
# Trainees whose online learning counts: on the publicised list, training, or already completed (a
# platform's export often arrives after the completion decision).
ALLOWED = (
    EnrollmentStatus.PUBLICISED.value,
    EnrollmentStatus.ATTENDING.value,
    EnrollmentStatus.COMPLETED.value,
)

_NUMBER = r"(\d+(?:\.\d+)?)"
_HOURS = re.compile(rf"{_NUMBER}(?:学时|小时|h)?")
_MINUTES = re.compile(rf"{_NUMBER}(?:分钟|分|min)")
_HOURS_MINUTES = re.compile(rf"{_NUMBER}(?:小时|时|h){_NUMBER}(?:分钟|分|min)?")
# A duration cell ("01:30:00"), as some platforms export 时长.
_CLOCK = re.compile(r"(\d+):(\d{1,2})(?::(\d{1,2}))?")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_hours(text: str) -> float | None:
    """Hours from "2", "2.5", "2学时", "90分钟", "1小时30分" or "01:30:00"; None when it is none of these."""
    value = "".join(text.split()).lower()
    if match := _HOURS.fullmatch(value):
        return float(match[1])
    if match := _MINUTES.fullmatch(value):
        return round(float(match[1]) / 60, 2)
    if match := _HOURS_MINUTES.fullmatch(value):
        return round(float(match[1]) + float(match[2]) / 60, 2)
    if match := _CLOCK.fullmatch(value):
        return round(int(match[1]) + int(match[2]) / 60 + int(match[3] or 0) / 3600, 2)
    return None


def parse_day(text: str) -> dt.date | None:
    """The day of "2026-11-03", "2026/11/3", "2026.11.03", "2026年11月3日" or "20261103", with or without
    a time after it (a platform's 学习时间 column); None when it is not a real date."""
    value = "".join(text.split()[:1])  # the date part of "2026-11-03 19:30:00"
    match = _DATE.match(value) or _COMPACT_DATE.fullmatch(value)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _number(hours: float) -> str:
    return f"{hours:g}"


@dataclass
class OnlineHoursRow:
    row: int
    action: str  # "record" or "refuse"
    name: str
    masked_id_number: str
    course: str
    session_date: dt.date | None
    hours: float  # this row's own hours (several rows of one session add up in `OnlineCredit`)
    problems: list[Problem] = field(default_factory=list)
    note: str = ""  # how this row was added up with others, when it was
    enrollment_id: str | None = None
    session_id: str | None = None

    @property
    def reason(self) -> str:
        ordered = sorted(self.problems, key=lambda p: p.cell.column if p.cell else 1_000)
        return "；".join(problem.describe() for problem in ordered)


@dataclass(frozen=True)
class OnlineCredit:
    """The hours one trainee gets for one online session: the file's rows added up, capped."""

    enrollment_id: str
    session_id: str
    day: dt.date
    start: dt.time
    hours: float
    rows: tuple[int, ...]


@dataclass(frozen=True)
class OnlineHoursPreview:
    path: Path
    project_id: str
    project_name: str
    header: HeaderMatch
    rows: tuple[OnlineHoursRow, ...]
    credits: tuple[OnlineCredit, ...]

    @property
    def refused(self) -> list[OnlineHoursRow]:
        return [row for row in self.rows if row.action == "refuse"]

    def summary(self) -> str:
        recorded = len(self.rows) - len(self.refused)
        return f"可登记 {recorded} 行（共 {len(self.credits)} 人次课次），拒绝 {len(self.refused)} 行"


@dataclass(frozen=True)
class _Trainee:
    enrollment_id: str
    class_id: str | None
    status: str
    name: str
    id_number: str


@dataclass(frozen=True)
class _Online:
    id: str
    class_id: str
    title: str
    date: dt.date
    start: dt.time
    hours: float


class _Reference:
    """The project's trainees and online sessions, read once for the whole file."""

    def __init__(self, session: Session, project_id: str) -> None:
        self.by_id: dict[str, _Trainee] = {}
        self.by_name: dict[str, list[_Trainee]] = {}
        for enrollment_id, class_id, status, name, number in session.execute(
            select(Enrollment.id, Enrollment.class_id, Enrollment.status, Teacher.name, Teacher.id_number)
            .join(Teacher, Enrollment.teacher_id == Teacher.id)
            .where(Enrollment.project_id == project_id, Enrollment.deleted.is_(False))
        ):
            trainee = _Trainee(enrollment_id, class_id, status, name, number)
            self.by_id[number] = trainee
            self.by_name.setdefault(name, []).append(trainee)
        self.class_names = dict(
            session.execute(
                select(TrainingClass.id, TrainingClass.name).where(TrainingClass.project_id == project_id)
            ).all()
        )
        self.online: dict[dt.date, list[_Online]] = {}
        for row in session.scalars(
            select(TrainingSession)
            .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
            .where(
                TrainingClass.project_id == project_id,
                TrainingSession.format == SessionFormat.ONLINE.value,
                TrainingSession.deleted.is_(False),
            )
            .order_by(TrainingSession.date, TrainingSession.start_time)
        ):
            self.online.setdefault(row.date, []).append(
                _Online(row.id, row.class_id, row.title, row.date, row.start_time, row.hours)
            )
        self.sessions = {s.id: s for day in self.online.values() for s in day}


def _require_columns(path: Path, header: HeaderMatch) -> None:
    missing = [caption for key, caption in (("hours", "学时"), ("date", "日期")) if key not in header.columns]
    if "id_number" not in header.columns and "name" not in header.columns:
        missing.insert(0, "身份证号或姓名")
    if missing:
        raise SpreadsheetError(
            f"文件 {path.name} 第 {header.row} 行的表头中找不到这些必需的列：{'、'.join(missing)}。"
            "请修改表头后重试。"
        )


def _person(
    record: Record, reference: _Reference, row: OnlineHoursRow, *, today: dt.date
) -> tuple[_Trainee, Cell] | None:
    """The trainee the row is about, and the cell that said so; None after noting why not."""
    id_cell = record.cells.get("id_number")
    name_cell = record.cells.get("name")
    if id_cell is not None and id_cell.value:
        try:
            number = parse_id_number(id_cell.value, today=today).value
        except InvalidIdNumber as error:
            row.problems.append(Problem(id_cell, f"身份证号有误：{error.reason}"))
            return None
        row.masked_id_number = mask_id_number(number)
        trainee = reference.by_id.get(number)
        if trainee is None:
            row.problems.append(Problem(id_cell, "此身份证号不在本项目的学员名单中"))
            return None
        if name_cell is not None and name_cell.value and name_cell.value != trainee.name:
            row.problems.append(
                Problem(
                    name_cell, f"姓名“{name_cell.value}”与身份证号不符（本项目学员名单中为“{trainee.name}”）"
                )
            )
            return None
        row.name = trainee.name
        return trainee, id_cell
    if name_cell is None or not name_cell.value:
        row.problems.append(Problem(id_cell or name_cell, "身份证号和姓名都没有填写"))
        return None
    matches = reference.by_name.get(name_cell.value, [])
    if not matches:
        row.problems.append(Problem(name_cell, f"本项目学员中没有“{name_cell.value}”"))
        return None
    if len(matches) > 1:
        row.problems.append(
            Problem(
                name_cell,
                f"本项目有 {len(matches)} 名学员叫“{name_cell.value}”，无法区分：请在该行填写身份证号",
            )
        )
        return None
    row.masked_id_number = mask_id_number(matches[0].id_number)
    return matches[0], name_cell


def _day(cell: Cell, row: OnlineHoursRow, *, today: dt.date) -> dt.date | None:
    if not cell.value:
        row.problems.append(Problem(cell, "未填写日期"))
        return None
    day = parse_day(cell.value)
    if day is None:
        row.problems.append(Problem(cell, f"日期“{cell.value}”无法识别（应如 2026-11-03）"))
        return None
    row.session_date = day
    if day > today:
        row.problems.append(Problem(cell, f"日期 {day} 晚于今天（{today}），不可能已经学习"))
        return None
    return day


def _hours(cell: Cell, row: OnlineHoursRow) -> float | None:
    if not cell.value:
        row.problems.append(Problem(cell, "未填写学时"))
        return None
    hours = parse_hours(cell.value)
    if hours is None:
        row.problems.append(
            Problem(cell, f"学时“{cell.value}”无法识别（可写作 2、2.5、90分钟 或 1小时30分）")
        )
        return None
    row.hours = hours
    if hours <= 0:
        row.problems.append(Problem(cell, f"学时“{cell.value}”应大于 0"))
        return None
    return hours


def _online_session(
    reference: _Reference, trainee: _Trainee, day: dt.date, course: str, cell: Cell, row: OnlineHoursRow
) -> _Online | None:
    """The online session of the trainee's class on `day`; the course title decides between two."""
    that_day = reference.online.get(day, [])
    if not that_day:
        dates = "、".join(f"{d:%m-%d}" for d in sorted(reference.online)[:8]) or "无"
        row.problems.append(Problem(cell, f"本项目在 {day} 没有线上课次（线上课次日期：{dates}）"))
        return None
    # A trainee not yet placed in a class is expected at every class's sessions, as on the roll.
    candidates = [s for s in that_day if trainee.class_id in (None, s.class_id)]
    if not candidates:
        class_name = reference.class_names.get(trainee.class_id or "", "")
        row.problems.append(Problem(cell, f"{day} 的线上课次不属于{trainee.name}所在的{class_name}"))
        return None
    if len(candidates) > 1 and course:
        candidates = [s for s in candidates if s.title == course] or candidates
    if len(candidates) > 1:
        titles = "、".join(f"“{s.title}”" for s in candidates)
        row.problems.append(
            Problem(
                cell,
                f"{day} 有 {len(candidates)} 个线上课次（{titles}），无法确定是哪一个："
                "请在课程列填写课次名称",
            )
        )
        return None
    return candidates[0]


def _check(record: Record, reference: _Reference, *, today: dt.date) -> OnlineHoursRow:
    id_text = record.value("id_number")
    row = OnlineHoursRow(
        row=record.row,
        action="refuse",
        name=record.value("name"),
        masked_id_number=mask_id_number(id_text) if len(id_text) >= 8 else id_text,
        course=record.value("course"),
        session_date=None,
        hours=0.0,
    )
    # Each check runs even after another failed, so that one look at the preview shows every mistake.
    matched = _person(record, reference, row, today=today)
    day = _day(record.cells["date"], row, today=today)
    hours = _hours(record.cells["hours"], row)
    if matched is not None:
        trainee, person_cell = matched
        if trainee.status not in ALLOWED:
            status = EnrollmentStatus(trainee.status).label
            row.problems.append(
                Problem(person_cell, f"{trainee.name}的报名状态为“{status}”，不能登记线上学时")
            )
    if matched is None or day is None or hours is None or row.problems:
        return row
    trainee = matched[0]
    online = _online_session(reference, trainee, day, row.course, record.cells["date"], row)
    if online is None:
        return row
    if hours > online.hours:
        row.problems.append(
            Problem(
                record.cells["hours"],
                f"学时 {_number(hours)} 超过该课次（{day} {online.title}）的 {_number(online.hours)} 学时",
            )
        )
        return row
    row.action = "record"
    row.enrollment_id = trainee.enrollment_id
    row.session_id = online.id
    return row


def _add_up(rows: list[OnlineHoursRow], reference: _Reference) -> tuple[OnlineCredit, ...]:
    """Several rows of one person and session (a course watched in two sittings) add up, but never
    beyond the session's hours."""
    groups: dict[tuple[str, str], list[OnlineHoursRow]] = {}
    for row in rows:
        if row.action == "record" and row.enrollment_id and row.session_id:
            groups.setdefault((row.enrollment_id, row.session_id), []).append(row)
    credits = []
    for (enrollment_id, session_id), group in groups.items():
        online = reference.sessions[session_id]
        total = round(sum(row.hours for row in group), 2)
        credited = min(total, online.hours)
        if len(group) > 1:
            for row in group:
                others = "、".join(str(other.row) for other in group if other is not row)
                row.note = f"与第 {others} 行合计 {_number(total)} 学时"
                if total > online.hours:
                    row.note += f"，超过该课次的 {_number(online.hours)} 学时，按 {_number(credited)} 学时计"
        credits.append(
            OnlineCredit(
                enrollment_id, session_id, online.date, online.start, credited, tuple(r.row for r in group)
            )
        )
    return tuple(credits)


def preview_online_hours(
    session: Session, project_id: str, path: Path, *, today: dt.date
) -> OnlineHoursPreview:
    """Read and check a platform's export for `project_id` without changing anything."""
    project = session.get_one(Project, project_id)
    sheet = read_sheet(path)
    header = find_header(sheet, COLUMNS)
    _require_columns(path, header)
    reference = _Reference(session, project_id)
    rows = [_check(record, reference, today=today) for record in records(sheet, header)]
    credits = _add_up(rows, reference)
    return OnlineHoursPreview(path, project.id, project.name, header, tuple(rows), credits)


def apply_online_hours(session: Session, preview: OnlineHoursPreview) -> int:
    """Write one attendance row per trainee and session in the caller's transaction; returns how many.

    The row id is the same natural id a check-in uses, so a trainee already scanned in keeps that one
    row (with the larger of the two hours), and importing the same file twice changes nothing."""
    access.require(session, Permission.CHECK_IN)
    note = f"线上学时导入：{preview.path.name}"
    for credit in preview.credits:
        attendance_id = natural_id("attendance", credit.session_id, credit.enrollment_id)
        row = find_attendance(session, credit.session_id, credit.enrollment_id)
        if row is None:
            row = Attendance(
                id=attendance_id, session_id=credit.session_id, enrollment_id=credit.enrollment_id
            )
            session.add(row)
        if row.deleted or row.status not in PRESENT:
            # No live check-in (never seen, undone, absent or on leave): the platform's record is the
            # evidence that the trainee learned, so it replaces what was there.
            row.deleted = False
            row.status = AttendanceStatus.PRESENT.value
            row.method = CaptureMethod.ONLINE_IMPORT.value
            row.checked_in_at = dt.datetime.combine(credit.day, credit.start)
            row.checked_out_at = None
            row.hours = credit.hours
            row.note = note
        else:
            row.hours = max(row.hours, credit.hours)
    session.flush()
    return len(preview.credits)


def save_refused(preview: OnlineHoursPreview, out: Path) -> int:
    """The refused rows as they were in the file, plus the reason, to fix and import again."""
    sheet = read_sheet(preview.path)
    refused = {row.row: row for row in preview.refused}
    width = max(preview.header.headers, default=0)
    headers = [preview.header.headers.get(column, "") for column in range(1, width + 1)]
    rows = []
    for cells in sheet.rows:
        outcome = refused.get(cells[0].row)
        if outcome is None:
            continue
        values = {cell.column: cell.value for cell in cells}
        rows.append(
            [values.get(column, "") for column in range(1, width + 1)] + [outcome.reason, outcome.row]
        )
    return write_xlsx(
        out,
        sheet_title="被拒绝的行",
        headers=[*headers, "错误原因", "原行号"],
        rows=rows,
        widths=[14] * width + [60, 8],
    )
