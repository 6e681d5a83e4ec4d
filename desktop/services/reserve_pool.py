"""储备库: teachers pre-qualified as candidates, added and removed with a reason and a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import ReservePoolEntry
from desktop.domain.roles import Permission
from desktop.services import access


def _open_entries(session: Session, teacher_ids: Sequence[str]) -> dict[str, ReservePoolEntry]:
    entries = session.scalars(
        select(ReservePoolEntry).where(
            ReservePoolEntry.teacher_id.in_(teacher_ids),
            ReservePoolEntry.removed_on.is_(None),
            ReservePoolEntry.deleted.is_(False),
        )
    )
    return {entry.teacher_id: entry for entry in entries}


def add_to_pool(session: Session, teacher_ids: Sequence[str], *, reason: str, day: dt.date) -> int:
    """Add the teachers not yet in the pool; returns how many were added."""
    access.require(session, Permission.SELECT)
    added = 0
    for start in range(0, len(teacher_ids), 500):  # SQLite's bound-parameter limit
        chunk = teacher_ids[start : start + 500]
        already = _open_entries(session, chunk)
        for teacher_id in chunk:
            if teacher_id not in already:
                session.add(ReservePoolEntry(teacher_id=teacher_id, added_on=day, reason=reason))
                added += 1
    session.flush()
    return added


def remove_from_pool(session: Session, teacher_ids: Sequence[str], *, reason: str, day: dt.date) -> int:
    """Close the teachers' open pool entries (the rows stay, with why and when)."""
    access.require(session, Permission.SELECT)
    removed = 0
    for start in range(0, len(teacher_ids), 500):
        for entry in _open_entries(session, teacher_ids[start : start + 500]).values():
            entry.removed_on = day
            entry.removed_reason = reason
            removed += 1
    session.flush()
    return removed
