"""Correcting or annulling an integrity record (诚信档案) after an appeal that succeeded or a data-entry
error. Only an administrator may, always with a written reason; the record as it was stays in the audit
log (which the province keeps append-only), and the changed row syncs like any other change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from desktop.db.models import IntegrityRecord
from desktop.domain.audit import AuditAction
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, audit
from guopei_common.vocab import IntegrityKind


def _snapshot(record: IntegrityRecord) -> dict[str, str]:
    return {
        "kind": IntegrityKind(record.kind).label,
        "ban_until": record.ban_until.isoformat(),
        "reason": record.reason,
    }


def _reason(reason: str) -> str:
    if not reason.strip():
        raise UserInputError("更正或撤销诚信档案须写明理由（如申诉成立、录入错误）")
    return reason.strip()


def correct(
    session: Session, record_id: str, *, kind: IntegrityKind, ban_until: dt.date, reason: str
) -> None:
    """Change what the record says (its kind, the end of the ban); `reason` says why."""
    access.require(session, Permission.CORRECT_INTEGRITY)
    why = _reason(reason)
    record = session.get_one(IntegrityRecord, record_id)
    if record.deleted:
        raise UserInputError("这条诚信档案已撤销，不能更正")
    before = _snapshot(record)
    record.kind = kind.value
    record.ban_until = ban_until
    audit.record(
        session,
        AuditAction.INTEGRITY_CORRECT,
        teacher_id=record.teacher_id,
        entity=IntegrityRecord.__sync_entity__,
        row_id=record.id,
        detail={"before": before, "after": _snapshot(record), "reason": why},
    )


def annul(session: Session, record_id: str, *, reason: str) -> None:
    """Withdraw the record: it no longer bars the teacher (a tombstone that syncs to the province)."""
    access.require(session, Permission.CORRECT_INTEGRITY)
    why = _reason(reason)
    record = session.get_one(IntegrityRecord, record_id)
    if record.deleted:
        raise UserInputError("这条诚信档案已经撤销")
    before = _snapshot(record)
    record.deleted = True
    audit.record(
        session,
        AuditAction.INTEGRITY_ANNUL,
        teacher_id=record.teacher_id,
        entity=IntegrityRecord.__sync_entity__,
        row_id=record.id,
        detail={"before": before, "reason": why},
    )
