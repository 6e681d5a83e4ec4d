"""Figures of one enrollment that several reports show, as subqueries correlated to `Enrollment`."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, func, select

from desktop.db.models import Attendance, CreditEntry, Enrollment
from guopei_common.vocab import CreditStatus


def hours_attended() -> ScalarSelect[float]:
    """The hours the trainee earned at the project's sessions (late arrival already deducted)."""
    return (
        select(func.coalesce(func.sum(Attendance.hours), 0.0))
        .where(Attendance.enrollment_id == Enrollment.id, Attendance.deleted.is_(False))
        .scalar_subquery()
    )


def credits_counted() -> ScalarSelect[float]:
    """The project's credits of the trainee, drafts and submissions included, rejected ones left out."""
    return (
        select(func.coalesce(func.sum(CreditEntry.credits), 0.0))
        .where(
            CreditEntry.enrollment_id == Enrollment.id,
            CreditEntry.deleted.is_(False),
            CreditEntry.status != CreditStatus.REJECTED.value,
        )
        .scalar_subquery()
    )
