"""The province's answer to submitted credits (学分审核): approve, or reject with a reason.

The decision is a new version of the county's credit entry, stamped later than the county's own and
put in the county's change feed, so the county's next pull brings it home, where approved entries
are frozen."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common.protocol import PROVINCE_NODE, stamp_after
from server.db import SyncedRow, lock_change_counter

ENTITY = "credit_entry"


@dataclass(frozen=True)
class SubmittedCredit:
    row_id: str
    teacher_id: str
    year: int
    level: str
    hours: float
    credits: float
    description: str


def submitted_credits(engine: Engine, county_code: str) -> list[SubmittedCredit]:
    with Session(engine) as session:
        rows = session.scalars(
            select(SyncedRow).where(SyncedRow.entity == ENTITY, SyncedRow.county_code == county_code)
        )
        found = []
        for row in rows:
            payload = json.loads(row.payload)
            if payload.get("status") == "submitted" and not row.deleted:
                found.append(
                    SubmittedCredit(
                        row.row_id,
                        payload["teacher_id"],
                        payload["year"],
                        payload["level"],
                        payload["hours"],
                        payload["credits"],
                        payload.get("description", ""),
                    )
                )
        return found


def decide_credits(
    engine: Engine, county_code: str, row_ids: Sequence[str], *, approve: bool, reason: str = ""
) -> int:
    """Approve or reject these submitted entries of the county, all in one transaction."""
    if not approve and not reason.strip():
        raise ValueError("退回学分须写明原因")
    with Session(engine) as session, session.begin():
        counter = lock_change_counter(session)
        rows = session.scalars(
            select(SyncedRow).where(
                SyncedRow.entity == ENTITY,
                SyncedRow.county_code == county_code,
                SyncedRow.row_id.in_(row_ids),
            )
        ).all()
        if len(rows) != len(set(row_ids)):
            raise ValueError("有的学分记录不存在或不属于该区县")
        wall_ms = time.time_ns() // 1_000_000
        for row in rows:
            payload = json.loads(row.payload)
            if payload.get("status") != "submitted":
                raise ValueError(f"学分记录 {row.row_id} 不是“已提交”状态，不能审核")
            row.hlc = stamp_after(row.hlc, wall_ms=wall_ms)
            payload.update(
                status="approved" if approve else "rejected",
                status_reason=reason.strip(),
                hlc=row.hlc,
                origin=PROVINCE_NODE,
            )
            counter.value += 1
            row.payload = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            row.origin = PROVINCE_NODE
            row.seq = counter.value
        return len(rows)
