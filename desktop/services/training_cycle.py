"""The province's training cycle (周期, required 学时 and categories) and each teacher's total in it.

A teacher's cycle total counts approved and submitted credit entries of the cycle's years (drafts are
not yet the county's word); the hours of a project count towards a required category when the
project's type or topic says so (desktop.domain.cycle)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import CreditEntry, Enrollment, Project, Setting
from guopei_common.training_cycle import CycleHours, CycleTotal, TrainingCycle, cycle_total
from guopei_common.vocab import CreditStatus

CYCLE_SETTING = settings.TRAINING_CYCLE.key
COUNTED = (CreditStatus.APPROVED.value, CreditStatus.SUBMITTED.value)


def training_cycle(session: Session) -> TrainingCycle:
    setting = session.get(Setting, CYCLE_SETTING)
    return TrainingCycle.from_dict(setting.value) if setting else TrainingCycle()


def set_training_cycle(session: Session, cycle: TrainingCycle) -> None:
    setting = session.get(Setting, CYCLE_SETTING)
    if setting is None:
        session.add(Setting(key=CYCLE_SETTING, value=cycle.to_dict()))
    else:
        setting.value = cycle.to_dict()


def cycle_hours(session: Session, *, first_year: int, last_year: int) -> dict[str, list[CycleHours]]:
    """Every teacher's counted credit entries of the years, with what each was about."""
    rows = session.execute(
        select(
            CreditEntry.teacher_id,
            CreditEntry.hours,
            CreditEntry.credits,
            Project.project_type,
            Project.topic,
        )
        .outerjoin(Enrollment, CreditEntry.enrollment_id == Enrollment.id)
        .outerjoin(Project, Enrollment.project_id == Project.id)
        .where(
            CreditEntry.deleted.is_(False),
            CreditEntry.status.in_(COUNTED),
            CreditEntry.year.between(first_year, last_year),
        )
    )
    found: dict[str, list[CycleHours]] = defaultdict(list)
    for teacher_id, hours, credits, project_type, topic in rows:
        found[teacher_id].append(CycleHours(hours, credits, project_type or "", topic or ""))
    return found


def totals(session: Session, teacher_ids: Sequence[str], *, year: int) -> dict[str, CycleTotal]:
    """Each teacher's total in the cycle that holds `year` (teachers with nothing get zeros)."""
    cycle = training_cycle(session)
    first, last = cycle.years_of(year)
    hours = cycle_hours(session, first_year=first, last_year=last)
    return {teacher_id: cycle_total(cycle, hours.get(teacher_id, ())) for teacher_id in teacher_ids}
