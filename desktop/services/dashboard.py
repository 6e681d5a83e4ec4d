"""The figures on the home page, read in one snapshot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import OutboxEntry, Project, School, Teacher, TrainingClass, TrainingSession
from desktop.domain.roles import Permission
from desktop.services import access
from guopei_common.vocab import EmploymentStatus, ProjectStatus


@dataclass(frozen=True)
class TodaySession:
    session_id: str
    start: dt.time
    end: dt.time
    project_name: str
    class_name: str
    venue: str
    format: str


@dataclass(frozen=True)
class DashboardFigures:
    teachers: int
    schools: int
    projects_running: int
    sessions_today: tuple[TodaySession, ...]
    changes_waiting: int


def dashboard_figures(session: Session, *, today: dt.date) -> DashboardFigures:
    access.require(session, Permission.VIEW)
    teachers = session.scalar(
        select(func.count())
        .select_from(Teacher)
        .where(Teacher.deleted.is_(False), Teacher.employment_status == EmploymentStatus.ACTIVE)
    )
    schools = session.scalar(select(func.count()).select_from(School).where(School.deleted.is_(False)))
    running = session.scalar(
        select(func.count())
        .select_from(Project)
        .where(Project.deleted.is_(False), Project.status == ProjectStatus.RUNNING)
    )
    rows = session.execute(
        select(
            TrainingSession.id,
            TrainingSession.start_time,
            TrainingSession.end_time,
            Project.name,
            TrainingClass.name,
            TrainingClass.venue,
            TrainingSession.format,
        )
        .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
        .join(Project, TrainingClass.project_id == Project.id)
        .where(TrainingSession.date == today, TrainingSession.deleted.is_(False))
        .order_by(TrainingSession.start_time, Project.name, TrainingClass.name)
    ).all()
    waiting = session.scalar(select(func.count()).select_from(OutboxEntry))
    return DashboardFigures(
        teachers=teachers or 0,
        schools=schools or 0,
        projects_running=running or 0,
        sessions_today=tuple(TodaySession(*row) for row in rows),
        changes_waiting=waiting or 0,
    )
