"""培训统计: the year's training (projects that start in the year) by level, type, stage and subject —
projects, places, enrolled, arrived, completed, completion rate, hours and credits — the teachers
trained at least once, and the same per school.

Counted as: 参训 an enrollment that was selected (admitted or any later status, withdrawals left
out); 报到 one with at least one attendance present, late or left early; 结业 one completed;
结业率 = 结业 / 报到; 学时 the hours attended; 学分 the credit entries of those enrollments (returned
ones left out)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import Attendance, Enrollment, Project, School, Teacher
from desktop.domain.codes import code_table
from desktop.domain.report import Report, Section, Table, rate
from desktop.services.reports.per_enrollment import credits_counted, hours_attended
from guopei_common.vocab import (
    AttendanceStatus,
    EmploymentStatus,
    EnrollmentStatus,
    Program,
    ProjectType,
    TrainingLevel,
)

SELECTED = (
    EnrollmentStatus.ADMITTED,
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.PUBLICISED,
    EnrollmentStatus.ATTENDING,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.NOT_COMPLETED,
    EnrollmentStatus.DISMISSED,
    EnrollmentStatus.NO_SHOW,
)
THERE = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


@dataclass(frozen=True)
class Trainee:
    """One selected enrollment of the year, with what the statistics count of it."""

    project_id: str
    teacher_id: str
    school: str
    stage: str
    subject: str
    level: str
    project_type: str
    arrived: bool
    completed: bool
    hours: float
    credits: float


def year_projects(session: Session, year: int) -> list[Project]:
    return list(
        session.scalars(
            select(Project)
            .where(Project.deleted.is_(False), func.strftime("%Y", Project.start_date) == str(year))
            .order_by(Project.start_date, Project.code)
        )
    )


def trainees(session: Session, year: int) -> list[Trainee]:
    projects = {p.id: p for p in year_projects(session, year)}
    there = (
        select(func.count(Attendance.id))
        .where(
            Attendance.enrollment_id == Enrollment.id,
            Attendance.deleted.is_(False),
            Attendance.status.in_([s.value for s in THERE]),
        )
        .scalar_subquery()
    )
    hours = hours_attended()
    credits = credits_counted()
    rows = session.execute(
        select(
            Enrollment.project_id,
            Enrollment.teacher_id,
            Enrollment.status,
            School.name,
            Teacher.stage,
            Teacher.subject,
            there,
            hours,
            credits,
        )
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(
            Enrollment.deleted.is_(False),
            Enrollment.project_id.in_(list(projects)),
            Enrollment.status.in_([s.value for s in SELECTED]),
        )
    )
    return [
        Trainee(
            project_id,
            teacher_id,
            school,
            stage,
            subject,
            Program(projects[project_id].program).level.label,
            ProjectType(projects[project_id].project_type).label,
            bool(n_there),
            status == EnrollmentStatus.COMPLETED.value,
            float(n_hours),
            float(n_credits),
        )
        for project_id, teacher_id, status, school, stage, subject, n_there, n_hours, n_credits in rows
    ]


HEADERS = ("", "项目数", "计划名额", "参训人次", "报到人次", "结业人次", "结业率", "学时", "学分")
WIDTHS = (26, 8, 10, 10, 10, 10, 9, 10, 9)


def _line(label: str, group: list[Trainee], projects: set[str], places: int | str) -> list[object]:
    arrived = sum(t.arrived for t in group)
    completed = sum(t.completed for t in group)
    return [
        label,
        len(projects),
        places,
        len(group),
        arrived,
        completed,
        rate(completed, arrived),
        round(sum(t.hours for t in group), 1),
        round(sum(t.credits for t in group), 1),
    ]


def _breakdown(
    title: str,
    key_name: str,
    everyone: list[Trainee],
    key: Callable[[Trainee], str],
    project_groups: dict[str, list[Project]] | None,
    all_projects: list[Project],
    order: list[str],
) -> Table:
    """One table: a line per value of `key` in the vocabulary's `order`, places only where projects
    group by it (level, type)."""
    groups: dict[str, list[Trainee]] = defaultdict(list)
    for trainee in everyone:
        groups[key(trainee)].append(trainee)
    present = set(groups) | set(project_groups or {})
    labels = [label for label in order if label in present] + sorted(present - set(order))
    rows = []
    for label in labels:
        group = groups.get(label, [])
        if project_groups is not None:
            mine = project_groups.get(label, [])
            rows.append(_line(label, group, {p.id for p in mine}, sum(p.quota for p in mine)))
        else:
            rows.append(_line(label, group, {t.project_id for t in group}, "—"))
    totals = _line("合计", everyone, {p.id for p in all_projects}, sum(p.quota for p in all_projects))
    return Table(title, (key_name, *HEADERS[1:]), rows, WIDTHS, totals)


def statistics_report(session: Session, *, year: int, county_name: str, today: dt.date) -> Report:
    projects = year_projects(session, year)
    everyone = trainees(session, year)
    by_level: dict[str, list[Project]] = defaultdict(list)
    by_type: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        by_level[Program(project.program).level.label].append(project)
        by_type[ProjectType(project.project_type).label].append(project)
    stages, subjects = code_table("stage"), code_table("subject")
    active = dict(
        session.execute(
            select(School.name, func.count(Teacher.id))
            .join(Teacher, Teacher.school_id == School.id)
            .where(Teacher.deleted.is_(False), Teacher.employment_status == EmploymentStatus.ACTIVE.value)
            .group_by(School.name)
        ).all()
    )
    per_school: dict[str, list[Trainee]] = defaultdict(list)
    for trainee in everyone:
        per_school[trainee.school].append(trainee)
    school_rows = []
    for school in sorted(set(active) | set(per_school)):
        group = per_school.get(school, [])
        trained = {t.teacher_id for t in group if t.arrived}
        school_rows.append(
            [
                school,
                active.get(school, 0),
                len(group),
                len(trained),
                rate(len(trained), active.get(school, 0)),
                sum(t.completed for t in group),
                round(sum(t.hours for t in group), 1),
                round(sum(t.credits for t in group), 1),
            ]
        )
    trained_all = {t.teacher_id for t in everyone if t.arrived}
    teachers_active = sum(active.values())
    schools = Table(
        "按学校",
        ("学校/单位", "在职教师", "参训人次", "至少参训一次（人）", "参训面", "结业人次", "学时", "学分"),
        school_rows,
        (30, 10, 10, 14, 9, 10, 10, 9),
        [
            "合计",
            teachers_active,
            len(everyone),
            len(trained_all),
            rate(len(trained_all), teachers_active),
            sum(t.completed for t in everyone),
            round(sum(t.hours for t in everyone), 1),
            round(sum(t.credits for t in everyone), 1),
        ],
    )
    arrived = sum(t.arrived for t in everyone)
    completed = sum(t.completed for t in everyone)
    places = sum(p.quota for p in projects)
    share = rate(len(trained_all), teachers_active)
    summary = (
        f"{year}年全县开展（含参加上级）培训项目 {len(projects)} 个，计划名额 {places} 个，"
        f"参训 {len(everyone)} 人次，报到 {arrived} 人次，结业 {completed} 人次，"
        f"结业率 {rate(completed, arrived)}；{len(trained_all)} 名教师至少参训一次，"
        f"占在职教师 {teachers_active} 人的 {share}。"
    )
    method = (
        "统计口径：以项目开始日期计入年度；参训人次为已录取及其后各状态的报名（不含退训）；报到人次为至少签到一次；"
        "结业率为结业人次除以报到人次；学时为实际出勤学时；学分为这些报名的学分登记（不含已退回）。"
    )
    return Report(
        title=f"{county_name}{year}年教师培训统计",
        issuer=f"{county_name}教师发展中心",
        date=today,
        sections=[
            Section("一、总体情况", (summary, method)),
            Section(
                "二、分类统计",
                tables=(
                    _breakdown(
                        "按层级",
                        "层级",
                        everyone,
                        lambda t: t.level,
                        by_level,
                        projects,
                        [v.label for v in TrainingLevel],
                    ),
                    _breakdown(
                        "按培训类型",
                        "培训类型",
                        everyone,
                        lambda t: t.project_type,
                        by_type,
                        projects,
                        [v.label for v in ProjectType],
                    ),
                    _breakdown(
                        "按学段",
                        "学段",
                        everyone,
                        lambda t: stages.label(t.stage) or "未填",
                        None,
                        projects,
                        [item.label for item in stages.items],
                    ),
                    _breakdown(
                        "按学科",
                        "学科",
                        everyone,
                        lambda t: subjects.label(t.subject) or "未填",
                        None,
                        projects,
                        [item.label for item in subjects.items],
                    ),
                ),
            ),
            Section("三、分学校统计", tables=(schools,)),
        ],
        landscape=True,
    )
