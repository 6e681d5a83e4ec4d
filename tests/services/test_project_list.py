"""The projects list: 报名 counts every application, so it is never below the admitted count."""

from __future__ import annotations

from sqlalchemy import func, select

from desktop.db.models import Enrollment
from desktop.services import projects


def test_applicants_count_everyone_who_applied_not_only_those_still_waiting(demo_db):
    with demo_db.read() as session:
        rows = projects.project_rows(session)
        applied = dict(
            session.execute(
                select(Enrollment.project_id, func.count())
                .where(Enrollment.deleted.is_(False))
                .group_by(Enrollment.project_id)
            ).all()
        )
    assert any(row.seats_taken > 0 for row in rows)
    for row in rows:
        assert row.applicants == applied.get(row.id, 0)
        assert row.applicants >= row.seats_taken, row.name
