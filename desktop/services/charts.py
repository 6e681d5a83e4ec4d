"""The figures behind the charts of the home page and the 统计 page, counted in SQL (they are read
whenever the page shows, also in a county of 200,000 teachers)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from desktop.db.engine import Database
from desktop.db.models import Attendance, Enrollment, OutboxEntry, Project, School, Teacher, TrainingSession
from desktop.domain.coverage import COVERING_PROGRAMS
from desktop.services.reports.statistics import SELECTED, THERE
from desktop.services.training_cycle import training_cycle
from guopei_common.vocab import ENTITY_LABELS, EmploymentStatus, EnrollmentStatus, Program, TrainingLevel

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # shown above the bar instead of the value (e.g. "12/80")


@dataclass(frozen=True)
class CoverageFigures:
    cycle_label: str
    target: int
    covered: int
    by_year: tuple[Bar, ...]  # rate (0–1) at the end of each year of this cycle and the last one
    by_township: tuple[Bar, ...]  # rate (0–1) per township


@dataclass(frozen=True)
class CompletionFigures:
    arrived: int
    completed: int
    by_level: tuple[Bar, ...]  # completion rate (0–1) per level
    arrived_by_level: tuple[Bar, ...]  # trainees who arrived, per level


def _target_condition() -> ColumnElement[bool]:
    return and_(
        Teacher.deleted.is_(False),
        Teacher.employment_status == EmploymentStatus.ACTIVE.value,
        School.is_rural.is_(True),
        School.in_poverty_area,
    )


def coverage_figures(session: Session, *, year: int) -> CoverageFigures:
    """Counted from the covering completions (a few thousand rows), not teacher by teacher: the home
    page reads this on every start, in counties of 200,000 teachers."""
    cycle = training_cycle(session)
    first, _last = cycle.years_of(year)
    since = first - cycle.years  # the rate over time runs through the last cycle too
    totals = dict(
        session.execute(
            select(School.township, func.count(Teacher.id))
            .join(School, Teacher.school_id == School.id)
            .where(_target_condition())
            .group_by(School.township)
        ).all()
    )
    target = sum(totals.values())
    completions = session.execute(
        select(Teacher.id, School.township, func.strftime("%Y", Project.end_date))
        .join(School, Teacher.school_id == School.id)
        .join(Enrollment, Enrollment.teacher_id == Teacher.id)
        .join(Project, Enrollment.project_id == Project.id)
        .where(
            _target_condition(),
            Enrollment.deleted.is_(False),
            Enrollment.status == EnrollmentStatus.COMPLETED.value,
            Project.program.in_([p.value for p in COVERING_PROGRAMS]),
            func.strftime("%Y", Project.end_date).between(str(since), str(year)),
        )
    ).all()
    years: dict[str, set[int]] = defaultdict(set)
    township_of: dict[str, str] = {}
    for teacher_id, township, end_year in completions:
        years[teacher_id].add(int(end_year))
        township_of[teacher_id] = township

    def covered_by(end: int) -> set[str]:
        start = cycle.years_of(end)[0]
        return {t for t, found in years.items() if any(start <= y <= end for y in found)}

    covered = covered_by(year)
    per_township = Counter(township_of[t] for t in covered)
    by_year = []
    for end in range(since, year + 1):
        n = len(covered_by(end))
        by_year.append(Bar(str(end), n / target if target else 0, f"{n}/{target}"))
    return CoverageFigures(
        cycle.label(year),
        target,
        len(covered),
        tuple(by_year),
        tuple(
            Bar(township, per_township[township] / n if n else 0, f"{per_township[township]}/{n}")
            for township, n in sorted(totals.items())
        ),
    )


def completion_figures(session: Session, *, year: int) -> CompletionFigures:
    """Of the year's trainees who arrived, how many completed, overall and per level."""
    arrived_flag = exists().where(
        Attendance.enrollment_id == Enrollment.id,
        Attendance.deleted.is_(False),
        Attendance.status.in_([s.value for s in THERE]),
    )
    rows = session.execute(
        select(
            Project.program,
            func.count(Enrollment.id),
            func.sum(func.iif(Enrollment.status == EnrollmentStatus.COMPLETED.value, 1, 0)),
        )
        .join(Project, Enrollment.project_id == Project.id)
        .where(
            Enrollment.deleted.is_(False),
            Project.deleted.is_(False),
            func.strftime("%Y", Project.start_date) == str(year),
            Enrollment.status.in_([s.value for s in SELECTED]),
            arrived_flag,
        )
        .group_by(Project.program)
    ).all()
    per_level: dict[TrainingLevel, list[int]] = {}
    for program, arrived, completed in rows:
        counts = per_level.setdefault(Program(program).level, [0, 0])
        counts[0] += arrived
        counts[1] += completed or 0
    return CompletionFigures(
        sum(c[0] for c in per_level.values()),
        sum(c[1] for c in per_level.values()),
        tuple(
            Bar(level.label, c[1] / c[0] if c[0] else 0, f"{c[1]}/{c[0]}")
            for level in TrainingLevel
            if (c := per_level.get(level))
        ),
        tuple(Bar(level.label, c[0]) for level in TrainingLevel if (c := per_level.get(level))),
    )


def sessions_this_week(session: Session, *, today: dt.date) -> tuple[Bar, ...]:
    """Sessions per day of today's week, Monday to Sunday."""
    monday = today - dt.timedelta(days=today.weekday())
    counts = dict(
        session.execute(
            select(TrainingSession.date, func.count(TrainingSession.id))
            .where(
                TrainingSession.deleted.is_(False),
                TrainingSession.date.between(monday, monday + dt.timedelta(days=6)),
            )
            .group_by(TrainingSession.date)
        ).all()
    )
    return tuple(Bar(f"周{WEEKDAYS[i]}", counts.get(monday + dt.timedelta(days=i), 0)) for i in range(7))


def changes_waiting(session: Session) -> tuple[Bar, ...]:
    """Changes waiting to sync, per kind of record, most first."""
    rows = session.execute(
        select(OutboxEntry.entity, func.count()).group_by(OutboxEntry.entity).order_by(func.count().desc())
    ).all()
    return tuple(Bar(ENTITY_LABELS.get(entity, entity), n) for entity, n in rows)


@dataclass(frozen=True)
class HomeCharts:
    coverage: CoverageFigures
    completion: CompletionFigures
    week: tuple[Bar, ...]
    waiting: tuple[Bar, ...]


def home_charts(db: Database, *, today: dt.date) -> HomeCharts:
    """The home page's charts on a read snapshot of their own (a reader thread's)."""
    with db.read() as session:
        return HomeCharts(
            coverage_figures(session, year=today.year),
            completion_figures(session, year=today.year),
            sessions_this_week(session, today=today),
            changes_waiting(session),
        )


def year_charts(db: Database, *, year: int) -> tuple[CoverageFigures, CompletionFigures]:
    """The 统计 page's charts for a year, on a read snapshot of their own."""
    with db.read() as session:
        return coverage_figures(session, year=year), completion_figures(session, year=year)
