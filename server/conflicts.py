"""The conflict log (冲突记录) for a person at the province to review: every value that lost a merge,
with the value kept, who wrote each and the rule that decided. Reviewing marks an entry as seen; the
merge itself has already happened, so a reviewer who disagrees corrects the record in the county app,
which syncs as a new edit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from guopei_common.protocol import ConflictNote, ConflictPage
from server.db import ConflictEntry
from server.scope import county_names

# Fields whose values are personal data: shown masked in the review list (full values stay in the DB).
_SENSITIVE = {"id_number", "phone", "emergency_phone"}


@dataclass(frozen=True)
class Conflict:
    id: int
    entity: str
    row_id: str
    field: str
    kept: str
    lost: str
    lost_origin: str
    rule: str
    recorded_at: dt.datetime
    reviewed: bool


def _shown(field: str, raw: str) -> str:
    value: Any = json.loads(raw)
    if field == "*" and isinstance(value, dict):
        value = {key: ("***" if key in _SENSITIVE and item else item) for key, item in value.items()}
        return json.dumps(value, ensure_ascii=False)[:120]
    text = "" if value is None else str(value)
    if field in _SENSITIVE and len(text) > 7:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return text


def list_conflicts(engine: Engine, county_code: str, *, include_reviewed: bool = False) -> list[Conflict]:
    query = select(ConflictEntry).where(ConflictEntry.county_code == county_code).order_by(ConflictEntry.id)
    if not include_reviewed:
        query = query.where(ConflictEntry.reviewed_at.is_(None))
    with Session(engine) as session:
        return [
            Conflict(
                entry.id,
                entry.entity,
                entry.row_id,
                entry.field,
                _shown(entry.field, entry.kept_value),
                _shown(entry.field, entry.lost_value),
                entry.lost_origin,
                entry.rule,
                entry.recorded_at,
                entry.reviewed_at is not None,
            )
            for entry in session.scalars(query)
        ]


def mark_reviewed(engine: Engine, county_code: str, ids: Sequence[int] | None) -> int:
    """Mark these entries of the county (all unreviewed ones when `ids` is None) as reviewed."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    statement = update(ConflictEntry).where(
        ConflictEntry.county_code == county_code, ConflictEntry.reviewed_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(ConflictEntry.id.in_(list(ids)))
    with Session(engine) as session, session.begin():
        return session.execute(statement.values(reviewed_at=now)).rowcount


def conflicts_since(engine: Engine, county_code: str, after: int, limit: int) -> ConflictPage:
    """The county's own log after entry `after`, for its devices (the county's own data: values whole;
    the app masks personal fields when it shows them)."""
    with Session(engine) as session:
        names = county_names(session, county_code)  # a privately aliased row: the county's own id
        entries = session.scalars(
            select(ConflictEntry)
            .where(ConflictEntry.county_code == county_code, ConflictEntry.id > after)
            .order_by(ConflictEntry.id)
            .limit(limit)
        ).all()
        notes = [
            ConflictNote(
                id=entry.id,
                entity=entry.entity,
                row_id=names.get(entry.row_id, entry.row_id),
                field=entry.field,
                kept=json.loads(entry.kept_value),
                lost=json.loads(entry.lost_value),
                lost_origin=entry.lost_origin,
                rule=entry.rule,
                recorded_at=entry.recorded_at.isoformat(timespec="seconds"),
            )
            for entry in entries
        ]
    return ConflictPage(conflicts=notes, next_after=notes[-1].id if notes else after)
