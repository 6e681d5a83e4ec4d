"""参训情况通报 (六. “及时向学员选派单位通报参训情况”): after a project, one notice per sending school —
who attended, sessions and hours, completed or not with the reason, dismissals with theirs, credits.
For one project (by code), or for every project that ended in the year and is over."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import Attendance, Enrollment, Project, School, Teacher, TrainingSession
from desktop.domain import policy_text
from desktop.domain.report import Report, Section, Table
from desktop.errors import UserInputError
from desktop.services.reports.per_enrollment import credits_counted, hours_attended
from guopei_common.idnumber import mask_id_number
from guopei_common.vocab import AttendanceStatus, EnrollmentStatus, Program

# Who a school hears about: everyone it sent who was selected (an application never admitted is not news).
REPORTED = tuple(
    s.value
    for s in (
        EnrollmentStatus.ATTENDING,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.NOT_COMPLETED,
        EnrollmentStatus.DISMISSED,
        EnrollmentStatus.NO_SHOW,
        EnrollmentStatus.WITHDRAWN,
        EnrollmentStatus.PUBLICISED,
    )
)
THERE = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value, AttendanceStatus.LEFT_EARLY.value)
BARRED = (EnrollmentStatus.DISMISSED, EnrollmentStatus.NO_SHOW, EnrollmentStatus.NOT_COMPLETED)


def notice_projects(
    session: Session, *, year: int, today: dt.date, project_code: str | None
) -> list[Project]:
    if project_code:
        project = session.scalar(select(Project).where(Project.code == project_code.strip()))
        if project is None:
            raise UserInputError(f"没有编号为“{project_code}”的项目")
        return [project]
    return list(
        session.scalars(
            select(Project)
            .where(
                Project.deleted.is_(False),
                func.strftime("%Y", Project.end_date) == str(year),
                Project.end_date < today,
            )
            .order_by(Project.end_date, Project.code)
        )
    )


def _notices(session: Session, project: Project, today: dt.date) -> list[Section]:
    held = (
        select(func.count(TrainingSession.id))
        .where(
            TrainingSession.class_id == Enrollment.class_id,
            TrainingSession.deleted.is_(False),
            TrainingSession.date <= today,
        )
        .scalar_subquery()
    )
    attended = (
        select(func.count(Attendance.id))
        .where(
            Attendance.enrollment_id == Enrollment.id,
            Attendance.deleted.is_(False),
            Attendance.status.in_(THERE),
        )
        .scalar_subquery()
    )
    hours = hours_attended()
    credits = credits_counted()
    rows = session.execute(
        select(
            School.name,
            Teacher.name,
            Teacher.id_number,
            Enrollment.status,
            Enrollment.status_reason,
            held,
            attended,
            hours,
            credits,
        )
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(
            Enrollment.project_id == project.id,
            Enrollment.deleted.is_(False),
            Enrollment.status.in_(REPORTED),
        )
        .order_by(School.name, Teacher.name_sort)
    )
    by_school: dict[str, list[tuple]] = defaultdict(list)
    for school, *rest in rows:
        by_school[school].append(tuple(rest))
    program = Program(project.program)
    sections = []
    for school, trainees in by_school.items():
        counts = Counter(EnrollmentStatus(t[2]) for t in trainees)
        lines = [
            [
                i,
                name,
                mask_id_number(number),
                f"{n_attended}/{n_held}",
                round(float(n_hours), 1),
                EnrollmentStatus(status).label,
                reason or ("—" if status == EnrollmentStatus.COMPLETED else ""),
                round(float(n_credits), 1),
            ]
            for i, (name, number, status, reason, n_held, n_attended, n_hours, n_credits) in enumerate(
                trainees, start=1
            )
        ]
        tally = "，".join(
            f"{label} {counts[status]} 人"
            for label, status in (
                ("结业", EnrollmentStatus.COMPLETED),
                ("未结业", EnrollmentStatus.NOT_COMPLETED),
                ("劝退", EnrollmentStatus.DISMISSED),
                ("未报到", EnrollmentStatus.NO_SHOW),
                ("特殊原因退训", EnrollmentStatus.WITHDRAWN),
            )
        )
        dates = f"{project.start_date:%Y年%m月%d日}至{project.end_date:%Y年%m月%d日}"
        paragraphs = [
            f"你单位选派参加{program.label}“{project.name}”（项目编号 {project.code}，{dates}，"
            f"共 {project.hours:g} 学时）的 {len(trainees)} 名教师，参训情况通报如下：{tally}。",
            f"此通报{policy_text.REPORT_TO_SCHOOLS.cite()}。",
        ]
        if program.is_guopei and any(counts[s] for s in BARRED):
            paragraphs.append(f"未报到、被劝退、未结业的学员已记入培训诚信档案：“{policy_text.BAN.words}”")
        sections.append(
            Section(
                f"{project.name}参训情况通报",
                tuple(paragraphs),
                (
                    Table(
                        f"{project.code} {school}",
                        ("序号", "姓名", "身份证号", "出勤（课次）", "学时", "结业情况", "原因", "学分"),
                        lines,
                        (6, 10, 24, 10, 7, 12, 38, 7),
                    ),
                ),
                addressee=school,
                own_pages=True,
            )
        )
    return sections


def school_notices_report(
    session: Session, *, year: int, county_name: str, today: dt.date, project_code: str | None = None
) -> Report:
    projects = notice_projects(session, year=year, today=today, project_code=project_code)
    sections = [section for project in projects for section in _notices(session, project, today)]
    if not sections:
        raise UserInputError(f"{year}年没有已结束且有参训学员的项目，无需通报")
    return Report(
        title=f"{projects[0].name}参训情况通报" if project_code else f"{county_name}{year}年参训情况通报",
        issuer=f"{county_name}教师发展中心",
        date=today,
        sections=sections,
    )
