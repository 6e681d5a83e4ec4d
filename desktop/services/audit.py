"""The audit log: recording an entry (with its outbox row, so the province gets it), listing entries
by operator, action, teacher and date for the 审计 page, and exporting them.

An entry names the operator and role, this device, the action, and whose record: a teacher, or the
changed row. Personal data itself never goes into an entry (a file name and a count, not the numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import AuditEntry, Teacher
from desktop.db.outbox import add_append_only
from desktop.domain.audit import AUDIT_ENTITY, AuditAction
from desktop.domain.roles import Permission, Role
from desktop.services import access
from guopei_common.idnumber import mask_id_number


def record(
    session: Session,
    action: AuditAction,
    *,
    teacher_id: str | None = None,
    entity: str = "",
    row_id: str = "",
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Write one entry in the caller's transaction (a write session: the entry is pushed like a change).
    `actor` only where no operator is logged in yet but a name is known (a failed login)."""
    operator = access.operator_of(session)
    entry = AuditEntry(
        at=dt.datetime.now(),
        actor=actor or access.actor(session),
        role=operator.role.value if operator is not None else "",
        device_id=session.info["device_id"],
        action=action.value,
        teacher_id=teacher_id,
        entity=entity,
        row_id=row_id,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    add_append_only(session, AUDIT_ENTITY, wire_payload(entry))
    return entry


def wire_payload(entry: AuditEntry) -> dict[str, Any]:
    """The entry as the province receives it (guopei_common.audit checks it there)."""
    return {
        "id": entry.id,
        "at": entry.at,
        "actor": entry.actor,
        "role": entry.role,
        "device_id": entry.device_id,
        "action": entry.action,
        "teacher_id": entry.teacher_id,
        "entity": entry.entity,
        "row_id": entry.row_id,
        "detail": entry.detail,
    }


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""  # an AuditAction code, "" for all
    teacher: str = ""  # a name, or the ID number's digits
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class AuditLine:
    at: dt.datetime
    actor: str
    role: str
    action: str  # the Chinese label
    teacher: str  # name and masked ID number, or ""
    detail: str


def entries(session: Session, flt: AuditFilter, *, limit: int = 5000) -> list[AuditLine]:
    """Newest first. Only administrators read the audit log."""
    access.require(session, Permission.AUDIT)
    query = (
        select(AuditEntry, Teacher.name, Teacher.id_number)
        .outerjoin(Teacher, AuditEntry.teacher_id == Teacher.id)
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor)
    if flt.action:
        query = query.where(AuditEntry.action == flt.action)
    if flt.teacher.strip():
        text = flt.teacher.strip()
        query = query.where(Teacher.name.contains(text) | Teacher.id_number.contains(text))
    if flt.start is not None:
        query = query.where(AuditEntry.at >= dt.datetime.combine(flt.start, dt.time()))
    if flt.end is not None:
        query = query.where(AuditEntry.at < dt.datetime.combine(flt.end + dt.timedelta(days=1), dt.time()))
    return [
        AuditLine(
            at=entry.at,
            actor=entry.actor,
            role=_role_label(entry.role),
            action=_action_label(entry.action),
            teacher=f"{name}（{mask_id_number(id_number)}）" if name else "",
            detail=describe(entry.detail),
        )
        for entry, name, id_number in session.execute(query)
    ]


def actors(session: Session) -> list[str]:
    access.require(session, Permission.AUDIT)
    return sorted(session.scalars(select(AuditEntry.actor).distinct()))


def export_entries(session: Session, flt: AuditFilter, out: Path) -> int:
    # openpyxl is imported here, not when the window opens (issue 19: every start loaded it for this).
    from desktop.io.xlsx_writer import write_xlsx

    lines = entries(session, flt, limit=1_000_000)
    return write_xlsx(
        out,
        sheet_title="审计记录",
        headers=["时间", "操作员", "角色", "操作", "教师", "详情"],
        rows=(
            [f"{line.at:%Y-%m-%d %H:%M:%S}", line.actor, line.role, line.action, line.teacher, line.detail]
            for line in lines
        ),
        widths=[20, 12, 10, 24, 28, 60],
    )


_DETAIL_LABELS = {
    "reason": "理由",
    "file": "文件",
    "count": "人数",
    "rows": "行数",
    "project": "项目",
    "status": "状态",
    "serial": "证书编号",
    "before": "原记录",
    "after": "更正为",
    "name": "账户",
    "role": "角色",
    "setting": "设置",
    "value": "值",
    "year": "年度",
    "outcome": "结论",
    "fields": "修改的字段",
}


def describe(detail: dict[str, Any]) -> str:
    parts = []
    for key, value in detail.items():
        if key == "filter":
            continue
        parts.append(f"{_DETAIL_LABELS.get(key, key)}：{value}")
    return "；".join(parts)


def _action_label(code: str) -> str:
    try:
        return AuditAction(code).label
    except ValueError:
        return code


def _role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return ""
