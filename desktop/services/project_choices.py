"""The projects a page offers in its picker: those with completed trainees (证书) and the finished
ones (学分), newest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from desktop.db.models import Enrollment, Project
from guopei_common.vocab import EnrollmentStatus, ProjectStatus


@dataclass(frozen=True)
class ProjectChoice:
    id: str
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code}  {self.name}"


def _choices(session: Session, query: Select) -> list[ProjectChoice]:
    return [ProjectChoice(*row) for row in session.execute(query.order_by(Project.end_date.desc()))]


def with_completed_trainees(session: Session) -> list[ProjectChoice]:
    """Projects with at least one trainee who completed: the ones certificates are issued for."""
    return _choices(
        session,
        select(Project.id, Project.code, Project.name)
        .join(Enrollment, Enrollment.project_id == Project.id)
        .where(Enrollment.status == EnrollmentStatus.COMPLETED.value)
        .group_by(Project.id),
    )


def finished(session: Session) -> list[ProjectChoice]:
    """Finished projects: the ones credits are generated for."""
    return _choices(
        session,
        select(Project.id, Project.code, Project.name).where(
            Project.status == ProjectStatus.FINISHED.value, Project.deleted.is_(False)
        ),
    )
