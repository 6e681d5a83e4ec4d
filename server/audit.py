"""The province's copy of the counties' audit logs, append-only (guopei_common.audit): a pushed entry
is stored once; another version of it (changed, or deleted) is refused and the stored one stays. The
province reads them by county, teacher or action (`guopei-server audit`)."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common.audit import APPEND_ONLY, EntryRefused, checked_entry
from guopei_common.protocol import OpResult, PushOp
from server.db import AuditRecord, SyncedRow


def append(session: Session, op: PushOp, *, county_code: str, device_id: str, now: dt.datetime) -> OpResult:
    def answer(outcome: str, reason: str = "") -> OpResult:
        return OpResult(op_id=op.op_id, outcome=outcome, reason=reason)

    stored = session.get(AuditRecord, op.row_id)
    if stored is not None:
        # The same entry again under another op id (a re-sent outbox row) is no change; anything else is.
        if stored.payload_hash == op.payload_hash and stored.county_code == county_code:
            return answer("applied", "same version")
        return answer("rejected", APPEND_ONLY)
    try:
        values = checked_entry(op.payload)
    except EntryRefused as error:
        return answer("rejected", str(error))
    session.add(
        AuditRecord(
            id=op.row_id,
            county_code=county_code,
            pushed_by=device_id,
            hlc=op.hlc,
            payload_hash=op.payload_hash,
            received_at=now,
            **values,
        )
    )
    session.flush()
    return answer("applied")


def entries(
    session: Session, *, county_code: str, id_number: str | None = None, action: str | None = None
) -> list[AuditRecord]:
    """A county's entries in time order; those about one teacher (by ID number: the county's row ids
    for that person) or of one action."""
    query = select(AuditRecord).where(AuditRecord.county_code == county_code).order_by(AuditRecord.at)
    if id_number is not None:
        teachers = select(SyncedRow.row_id).where(
            SyncedRow.entity == "teacher",
            SyncedRow.county_code == county_code,
            SyncedRow.natural_key == id_number.strip().upper(),
        )
        query = query.where(AuditRecord.teacher_id.in_(teachers))
    if action is not None:
        query = query.where(AuditRecord.action == action)
    return list(session.scalars(query))


COMMANDS = {"audit"}


def run(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        found = entries(session, county_code=args.county, id_number=args.teacher, action=args.action)
    for entry in found:
        print(
            f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.actor}（{entry.role or '—'}）{entry.action} "
            f"{entry.entity} {entry.row_id} 设备 {entry.device_id}：{entry.detail}"
        )
    print(f"共 {len(found)} 条")
    return 0
