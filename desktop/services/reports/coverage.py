"""覆盖情况 (三.): the poverty-area rural teachers and heads covered in the training cycle, per township
and school, those still uncovered by name (ID masked), and the county rate year by year — the figure
the province's performance evaluation reads.

The target group and "covered" are desktop.domain.coverage's: a rural teacher or head at a school
with a poverty designation, covered by a completed 国培 or 省培 project that ended in the cycle."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import Enrollment, Project, School, Teacher
from desktop.domain import policy_text
from desktop.domain.coverage import COVERING_PROGRAMS
from desktop.domain.report import Report, Section, Table, rate
from desktop.services.training_cycle import training_cycle
from guopei_common.idnumber import mask_id_number
from guopei_common.vocab import EmploymentStatus, EnrollmentStatus, TeacherRole


def target_group(session: Session) -> list[tuple[str, str, str, str, str, str]]:
    """(id, name, ID number, role, school, township) of every active rural teacher or head at a
    school with a poverty designation."""
    rows = session.execute(
        select(Teacher.id, Teacher.name, Teacher.id_number, Teacher.role, School.name, School.township)
        .join(School, Teacher.school_id == School.id)
        .where(
            Teacher.deleted.is_(False),
            Teacher.employment_status == EmploymentStatus.ACTIVE.value,
            School.is_rural.is_(True),
            School.in_poverty_area,
        )
        .order_by(School.township, School.name, Teacher.name_sort)
    )
    return [tuple(row) for row in rows]


def covering_years(session: Session, *, first_year: int, last_year: int) -> dict[str, set[int]]:
    """The years (within these) in which each teacher completed a covering project."""
    rows = session.execute(
        select(Enrollment.teacher_id, func.strftime("%Y", Project.end_date))
        .join(Project, Enrollment.project_id == Project.id)
        .where(
            Enrollment.deleted.is_(False),
            Enrollment.status == EnrollmentStatus.COMPLETED.value,
            Project.program.in_([p.value for p in COVERING_PROGRAMS]),
            func.strftime("%Y", Project.end_date).between(str(first_year), str(last_year)),
        )
    )
    found: dict[str, set[int]] = defaultdict(set)
    for teacher_id, end_year in rows:
        found[teacher_id].add(int(end_year))
    return found


def _last_trainings(session: Session, teacher_ids: set[str]) -> dict[str, str]:
    """Each teacher's latest completed training of any level, as people read it."""
    found: dict[str, tuple[dt.date, str]] = {}
    rows = session.execute(
        select(Enrollment.teacher_id, Project.end_date, Project.name)
        .join(Project, Enrollment.project_id == Project.id)
        .where(Enrollment.deleted.is_(False), Enrollment.status == EnrollmentStatus.COMPLETED.value)
    )
    for teacher_id, end, name in rows:
        if teacher_id in teacher_ids and (teacher_id not in found or end > found[teacher_id][0]):
            found[teacher_id] = (end, name)
    return {teacher_id: f"{name}（{end:%Y-%m}）" for teacher_id, (end, name) in found.items()}


def coverage_report(session: Session, *, year: int, county_name: str, today: dt.date) -> Report:
    cycle = training_cycle(session)
    first, _last = cycle.years_of(year)
    # The rate over time runs through the last cycle too: each year counted within its own cycle.
    since = first - cycle.years
    people = target_group(session)
    targets = {p[0] for p in people}
    years = {
        teacher_id: found
        for teacher_id, found in covering_years(session, first_year=since, last_year=year).items()
        if teacher_id in targets
    }

    def covered_by(end: int) -> int:
        start = cycle.years_of(end)[0]
        return sum(1 for found in years.values() if any(start <= y <= end for y in found))

    covered = {teacher_id for teacher_id, found in years.items() if any(first <= y <= year for y in found)}
    township_total: Counter[str] = Counter()
    township_covered: Counter[str] = Counter()
    school_total: Counter[tuple[str, str]] = Counter()
    school_covered: Counter[tuple[str, str]] = Counter()
    for teacher_id, _name, _number, _role, school, township in people:
        township_total[township] += 1
        school_total[(township, school)] += 1
        if teacher_id in covered:
            township_covered[township] += 1
            school_covered[(township, school)] += 1
    total, done = len(people), sum(1 for p in people if p[0] in covered)

    def counts(n: int, c: int) -> list[object]:
        return [n, c, n - c, rate(c, n)]

    townships = Table(
        "按乡镇",
        ("乡镇", "对象人数", "已覆盖", "未覆盖", "覆盖率"),
        [[t, *counts(township_total[t], township_covered[t])] for t in sorted(township_total)],
        (16, 10, 10, 10, 10),
        ["合计", *counts(total, done)],
    )
    schools = Table(
        "按学校",
        ("乡镇", "学校", "对象人数", "已覆盖", "未覆盖", "覆盖率"),
        [[t, s, *counts(school_total[(t, s)], school_covered[(t, s)])] for t, s in sorted(school_total)],
        (14, 30, 10, 10, 10, 10),
        ["合计", "", *counts(total, done)],
    )
    uncovered_ids = {p[0] for p in people if p[0] not in covered}
    last_training = _last_trainings(session, uncovered_ids)
    uncovered = Table(
        "未覆盖人员名单",
        ("序号", "乡镇", "学校", "姓名", "身份证号", "身份", "最近参加的培训"),
        [
            [
                i,
                township,
                school,
                name,
                mask_id_number(number),
                TeacherRole(role).label,
                last_training.get(tid, "无"),
            ]
            for i, (tid, name, number, role, school, township) in enumerate(
                (p for p in people if p[0] in uncovered_ids), start=1
            )
        ],
        (6, 12, 26, 10, 20, 8, 40),
    )
    over_time = Table(
        "覆盖率变化",
        ("年度", "周期", "周期内累计覆盖", "对象人数", "累计覆盖率"),
        [
            [str(y), cycle.label(y), covered_by(y), total, rate(covered_by(y), total)]
            for y in range(since, year + 1)
        ],
        (10, 18, 14, 12, 12),
    )
    summary = (
        f"{cycle.label(year)}，全县贫困地区乡村教师和校园长共 {total} 人，"
        f"截至{year}年底已参加国培或省培并结业 {done} 人，"
        f"覆盖率 {rate(done, total)}，尚有 {total - done} 人未覆盖。"
    )
    return Report(
        title=f"{county_name}{year}年贫困地区乡村教师校园长培训覆盖情况",
        issuer=f"{county_name}教师发展中心",
        date=today,
        sections=[
            Section(
                "一、总体情况",
                (
                    summary,
                    f"统计口径：对象为乡村学校中学校带有贫困地区标注（三区三州、集中连片特困地区、脱贫县、国家乡村振兴重点帮扶县）"
                    f"的在职教师和校园长（含副职）；本周期内参加国培或省培项目并结业的视为已覆盖，校本研修及县、市级培训不计。"
                    f"逐年累计覆盖率在各自周期内累计，以当前对象人数为分母。{policy_text.COVERAGE.cite()}；“{policy_text.COVERAGE_EVALUATION.words}”",
                ),
                (over_time,),
            ),
            Section("二、分乡镇、分学校情况", tables=(townships, schools)),
            Section("三、未覆盖人员名单", ("身份证号已脱敏，仅供核对。",), (uncovered,)),
        ],
    )
