"""Audit entries on the wire (issue 14): who did what to whose record, pushed by a county PC like a
change, and kept by the province append-only: an entry, once received, can be neither changed nor
deleted by the county (a second version of it is refused, the first one stays).

Shared by the desktop (which writes them) and the server (which checks and keeps them)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

AUDIT_ENTITY = "audit_entry"
APPEND_ONLY = "审计记录已上报省级平台，不能修改或删除"

_TEXT = {"actor": 50, "role": 20, "device_id": 36, "action": 50, "entity": 40, "row_id": 36}
DETAIL_LIMIT = 20_000  # characters of the detail, serialised


class EntryRefused(ValueError):
    """The payload is not an audit entry this server accepts; the message says why, in Chinese."""


def checked_entry(payload: dict[str, Any]) -> dict[str, Any]:
    """The entry's values, typed (`at` a datetime, `detail` JSON text), or EntryRefused."""
    if payload.get("deleted"):
        raise EntryRefused(APPEND_ONLY)
    values: dict[str, Any] = {}
    for name, limit in _TEXT.items():
        value = payload.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise EntryRefused(f"审计记录的 {name} 不是不超过 {limit} 个字符的文字")
        values[name] = value
    if not values["action"]:
        raise EntryRefused("审计记录缺少 action")
    teacher = payload.get("teacher_id")
    if teacher is not None and (not isinstance(teacher, str) or len(teacher) > 36):
        raise EntryRefused("审计记录的 teacher_id 不正确")
    values["teacher_id"] = teacher
    try:
        values["at"] = dt.datetime.fromisoformat(str(payload.get("at")))
    except ValueError:
        raise EntryRefused("审计记录的时间不正确") from None
    detail = payload.get("detail", {})
    if not isinstance(detail, dict):
        raise EntryRefused("审计记录的 detail 不是对象")
    text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    if len(text) > DETAIL_LIMIT:
        raise EntryRefused(f"审计记录的 detail 超过 {DETAIL_LIMIT} 个字符")
    values["detail"] = text
    return values
