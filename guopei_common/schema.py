"""The columns of every synced entity as they travel: type, whether they may be null, length, vocabulary,
default. Shared by both ends, like the protocol module (no Qt, no desktop database):

- the server checks every pushed payload against it before applying it, so that nothing a county
  pushes can stop another device's pull (a NOT NULL column left out, a date that is not a date);
- the client checks every pulled row against it and sets aside what it cannot apply.

A test (tests/sync/test_entity_schema.py) checks these tables against the desktop's models, so a new
column cannot be forgotten here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from guopei_common.vocab import (
    AttendanceStatus,
    BackboneLevel,
    CaptureMethod,
    CompletionOutcome,
    CreditStatus,
    DeliveryMode,
    EmploymentStatus,
    EnrollmentStatus,
    IntegrityKind,
    Program,
    ProjectStatus,
    ProjectType,
    SessionFormat,
    TeacherRole,
    TrainingLevel,
)

Kind = Literal["str", "int", "float", "bool", "date", "datetime", "time", "dict", "list"]

TEXT_LIMIT = 20_000  # characters of a Text column (notes, reasons, a signed QR text)
JSON_LIMIT = 20_000  # characters of a JSON column, serialised
JSON_DEPTH = 8  # nesting of a JSON column (conditions, completion rule, reasons)
NUMBER_LIMIT = 1_000_000.0  # hours, credits, quotas: far above any real value, far below a float's end
META = ("id", "hlc", "origin", "deleted")

_REQUIRED = object()  # no default: a new row must carry the column


@dataclass(frozen=True)
class Column:
    kind: Kind
    nullable: bool = False
    max_length: int | None = None  # characters, for str
    choices: frozenset[str] | None = None
    pattern: str | None = None
    default: Any = _REQUIRED
    low: float | None = None  # numbers: smallest allowed
    high: float | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.nullable

    def default_value(self) -> Any:
        # Fresh containers: a shared {} default must never be mutated through one payload.
        if isinstance(self.default, dict | list):
            return type(self.default)(self.default)
        return None if self.default is _REQUIRED else self.default


def _s(length: int, default: Any = _REQUIRED, **more: Any) -> Column:
    return Column("str", max_length=length, default=default, **more)


def _text(default: Any = "") -> Column:
    return Column("str", max_length=TEXT_LIMIT, default=default)


def _ref(*, nullable: bool = False) -> Column:
    return Column("str", nullable=nullable, max_length=36, default=None if nullable else _REQUIRED)


def _choice(values: Iterable[str], length: int, default: Any = _REQUIRED) -> Column:
    return Column("str", max_length=length, choices=frozenset(values), default=default)


def _number(kind: Kind = "float", default: Any = _REQUIRED, *, nullable: bool = False, **more: Any) -> Column:
    more.setdefault("low", 0.0)
    more.setdefault("high", NUMBER_LIMIT)
    return Column(kind, nullable=nullable, default=None if nullable else default, **more)


def _flag(default: Any = False, *, nullable: bool = False) -> Column:
    return Column("bool", nullable=nullable, default=None if nullable else default)


def _when(kind: Kind, *, nullable: bool = False) -> Column:
    return Column(kind, nullable=nullable, default=None if nullable else _REQUIRED)


def _values(kind: type) -> list[str]:
    return [member.value for member in kind]


_COUNTY = r"[0-9]{6}"
_ID_NUMBER = r"[0-9]{17}[0-9Xx]"
# Both forms of certificate_signing.parse_serial: 522727-2026-00042 and 522727-2026-D02-00042 / -LK7QDM-.
SERIAL_PATTERN = r"[0-9]{6}-[0-9]{4}-(?:(?:D[0-9]{2,3}|L[A-Z2-7]{6})-)?[0-9]{5}"
_YEAR = {"low": 1900, "high": 2200}
_STATUSES = _values(EnrollmentStatus)

COLUMNS: dict[str, dict[str, Column]] = {
    "school": {
        "code": _s(20, ""),
        "name": _s(100),
        "county_code": _s(6, pattern=_COUNTY),
        "township": _s(50, ""),
        "is_rural": _flag(),
        "stage": _s(10, ""),
        "in_sanqu_sanzhou": _flag(),
        "in_contiguous_poverty_area": _flag(),
        "in_former_poverty_county": _flag(),
        "in_key_assistance_county": _flag(),
        "in_ethnic_area": _flag(),
        "flags_source": _s(200, ""),
    },
    "teacher": {
        "id_number": _s(18, pattern=_ID_NUMBER),
        "name": _s(50),
        "given_name": _s(50, ""),
        "name_pinyin": _s(200, ""),
        "name_initials": _s(50, ""),
        "name_sort": _s(250, ""),
        "gender": _choice(["0", "1", "2", "9"], 1),  # GB/T 2261.1
        "birth_date": _when("date"),
        "ethnicity": _s(2, "01", pattern=r"[0-9]{2}"),  # GB 3304
        "school_id": _ref(),
        "stage": _s(10, ""),
        "subject": _s(10, ""),
        "title": _s(10, ""),
        "role": _choice(_values(TeacherRole), 30, "teacher"),
        "backbone_level": _choice(_values(BackboneLevel), 20, "none"),
        "phone": _s(20, ""),
        "work_start_year": _number("int", nullable=True, **_YEAR),
        "employment_status": _choice(_values(EmploymentStatus), 20, "active"),
        "emergency_contact": _s(50, ""),
        "emergency_phone": _s(20, ""),
        "note": _text(),
    },
    "reserve_pool_entry": {
        "teacher_id": _ref(),
        "added_on": _when("date"),
        "reason": _text(),
        "removed_on": _when("date", nullable=True),
        "removed_reason": _text(),
    },
    "project": {
        "code": _s(40),
        "name": _s(200),
        "program": _choice(_values(Program), 30),
        "project_type": _choice(_values(ProjectType), 30),
        "topic": _s(50, ""),
        "mode": _choice(_values(DeliveryMode), 10),
        "hours": _number(),
        "credits": _number(),
        "start_date": _when("date"),
        "end_date": _when("date"),
        "quota": _number("int"),
        "institution": _s(100, ""),
        "chief_expert": _s(50, ""),
        "status": _choice(_values(ProjectStatus), 20, "draft"),
        "owner": _choice(["province", "county"], 10, "county"),
        "county_code": _s(6, pattern=_COUNTY),
        "conditions": Column("dict", default={}),
        "publicity_start": _when("date", nullable=True),
        "publicity_end": _when("date", nullable=True),
        "completion_rule": Column("dict", default={}),
    },
    "training_class": {
        "project_id": _ref(),
        "name": _s(50),
        "class_teacher": _s(50, ""),
        "venue": _s(100, ""),
        "capacity": _number("int", 50),
    },
    "session": {
        "class_id": _ref(),
        "title": _s(200, ""),
        "date": _when("date"),
        "start_time": _when("time"),
        "end_time": _when("time"),
        "hours": _number(),
        "format": _choice(_values(SessionFormat), 20, "face_to_face"),
        "requires_sign_out": _flag(),
    },
    "enrollment": {
        "teacher_id": _ref(),
        "project_id": _ref(),
        "class_id": _ref(nullable=True),
        "sending_school_id": _ref(),
        "status": _choice(_STATUSES, 20, "applied"),
        "status_reason": _text(),
        "override_reason": _text(),
        "emergency_contact": _s(50, ""),
        "emergency_phone": _s(20, ""),
        "insured": _flag(),
        "assessment_passed": _flag(nullable=True),
        "outcome_submitted": _flag(),
    },
    "enrollment_event": {
        "enrollment_id": _ref(),
        "from_status": _choice(["", *_STATUSES], 20, ""),
        "to_status": _choice(_STATUSES, 20),
        "at": _when("datetime"),
        "actor": _s(50, ""),
        "reason": _text(),
    },
    "attendance": {
        "session_id": _ref(),
        "enrollment_id": _ref(),
        "status": _choice(_values(AttendanceStatus), 20),
        "checked_in_at": _when("datetime", nullable=True),
        "checked_out_at": _when("datetime", nullable=True),
        "method": _choice(_values(CaptureMethod), 20, "manual"),
        "hours": _number(default=0.0),
        "note": _text(),
    },
    "completion": {
        "enrollment_id": _ref(),
        "outcome": _choice(_values(CompletionOutcome), 20),
        "reasons": Column("list", default=[]),
        "decided_at": _when("datetime"),
        "decided_by": _s(50, ""),
        "override_reason": _text(),
    },
    "credit_entry": {
        "teacher_id": _ref(),
        "enrollment_id": _ref(nullable=True),
        "year": _number("int", **_YEAR),
        "level": _choice(_values(TrainingLevel), 20),
        "hours": _number(),
        "credits": _number(),
        "description": _text(),
        "status": _choice(_values(CreditStatus), 20, "draft"),
        "status_reason": _text(),
    },
    "integrity_record": {
        "teacher_id": _ref(),
        "enrollment_id": _ref(),
        "project_id": _ref(),
        "kind": _choice(_values(IntegrityKind), 20),
        "project_end": _when("date"),
        "ban_until": _when("date"),
        "reason": _text(),
    },
    "certificate": {
        "serial": _s(30, pattern=SERIAL_PATTERN),
        "enrollment_id": _ref(),
        "teacher_id": _ref(),
        "project_id": _ref(),
        "issued_on": _when("date"),
        "verification_code": _text(),
        "print_count": _number("int", 0),
        "revoked": _flag(),
        "revoked_reason": _text(),
    },
}

_HLC = re.compile(r"[0-9]{15}-[0-9]{5}-[0-9A-Za-z-]{1,40}")


class PayloadRefused(ValueError):
    """A payload that does not fit its entity's schema; the message, in Chinese, names the column."""


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, giving up (returning limit + 1) as soon as it passes `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        if level > limit:
            return limit + 1
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _problem(name: str, column: Column, value: Any) -> str | None:
    """What is wrong with one value of `column`, in Chinese, or None."""
    if value is None:
        return None if column.nullable else f"字段 {name} 不能为空"
    kind = column.kind
    if kind == "bool":
        return None if isinstance(value, bool) else f"字段 {name} 应为真/假"
    if kind in ("int", "float"):
        # bool is an int in Python; JSON true is not a number. A whole float is fine for an int column
        # (JSON has one number type), a fraction is not.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"字段 {name} 应为数字"
        if isinstance(value, float) and (
            not math.isfinite(value) or (kind == "int" and not value.is_integer())
        ):
            return f"字段 {name} 应为{'整数' if kind == 'int' else '有限的数字'}"
        if (column.low is not None and value < column.low) or (
            column.high is not None and value > column.high
        ):
            return f"字段 {name} 超出范围（{column.low:g}～{column.high:g}）"
        return None
    if kind in ("dict", "list"):
        if not isinstance(value, dict if kind == "dict" else list):
            return f"字段 {name} 应为{'对象' if kind == 'dict' else '列表'}"
        if _depth(value, JSON_DEPTH) > JSON_DEPTH:
            return f"字段 {name} 嵌套超过 {JSON_DEPTH} 层"
        if len(json.dumps(value, ensure_ascii=False)) > JSON_LIMIT:
            return f"字段 {name} 超过 {JSON_LIMIT} 字"
        return None
    if not isinstance(value, str):
        return f"字段 {name} 应为文本"
    if kind == "str":
        if column.max_length is not None and len(value) > column.max_length:
            return f"字段 {name} 超过 {column.max_length} 字"
        if "\x00" in value:  # no typed text holds one, and PostgreSQL cannot store one in a key column
            return f"字段 {name} 含有空字符（NUL）"
        if column.choices is not None and value not in column.choices:
            return f"字段 {name} 的值“{value[:20]}”不在可选范围内"
        if column.pattern is not None and re.fullmatch(column.pattern, value) is None:
            return f"字段 {name} 的格式不对"
        return None
    parse = {
        "date": dt.date.fromisoformat,
        "datetime": dt.datetime.fromisoformat,
        "time": dt.time.fromisoformat,
    }
    try:
        if len(value) > 40:
            raise ValueError(value)
        parsed = parse[kind](value)
    except ValueError:
        return f"字段 {name} 应为{'日期' if kind == 'date' else '时间'}（ISO 格式）"
    if kind == "date" and isinstance(parsed, dt.datetime):
        return f"字段 {name} 应为日期"
    if kind != "date" and parsed.tzinfo is not None:  # the county databases hold local, naive times
        return f"字段 {name} 不应带时区"
    return None


def normalized(entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of `payload` checked column by column (PayloadRefused names the first problem).

    Unknown columns are refused. A null in a NOT NULL column that has a default is taken as absent:
    the compact wire form sends null where an older payload lacked a column added since."""
    columns = COLUMNS.get(entity)
    if columns is None:
        raise PayloadRefused(f"未知的实体：{entity}")
    unknown = sorted(set(payload) - set(columns) - set(META))
    if unknown:
        raise PayloadRefused(f"未知字段：{'、'.join(name[:40] for name in unknown[:5])}")
    result: dict[str, Any] = {}
    for name, value in payload.items():
        if name in META:
            result[name] = value
            continue
        column = columns[name]
        if value is None and not column.nullable and not column.required:
            continue
        problem = _problem(name, column, value)
        if problem is not None:
            raise PayloadRefused(problem)
        result[name] = value
    if not isinstance(result.get("id"), str) or not 0 < len(result["id"]) <= 36:
        raise PayloadRefused("字段 id 应为不超过 36 字的文本")
    if not isinstance(result.get("hlc"), str) or _HLC.fullmatch(result["hlc"]) is None:
        raise PayloadRefused("字段 hlc 的格式不对")
    if not isinstance(result.get("origin"), str) or not 0 < len(result["origin"]) <= 36:
        raise PayloadRefused("字段 origin 应为不超过 36 字的文本")
    if not isinstance(result.get("deleted", False), bool):
        raise PayloadRefused("字段 deleted 应为真/假")
    return result


def completed(entity: str, payload: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """`payload` with every column: a missing one from the stored version of the row, or, for a new row,
    from its default. PayloadRefused when a new row lacks a column that has no default."""
    columns = COLUMNS[entity]
    result = dict(payload)
    result.setdefault("deleted", False if stored is None else stored.get("deleted", False))
    missing = [name for name in columns if name not in result]
    for name in missing:
        if stored is not None and name in stored:
            result[name] = stored[name]
        elif columns[name].required:
            raise PayloadRefused(f"缺少字段：{'、'.join(n for n in missing if columns[n].required)}")
        else:
            result[name] = columns[name].default_value()
    return result


def pulled_row(entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A pulled row's payload as the client may apply it, or PayloadRefused saying (in Chinese) what
    would stop it. Columns this version does not know are left out (a newer version's), as are nulls
    in NOT NULL columns with a default; a missing column is fine where it has a default (the upsert
    leaves the local value as it is)."""
    columns = COLUMNS.get(entity)
    if columns is None:
        raise PayloadRefused(f"未知的实体：{entity}")
    row = normalized(
        entity, {name: value for name, value in payload.items() if name in columns or name in META}
    )
    missing = [name for name, column in columns.items() if column.required and name not in row]
    if missing:
        raise PayloadRefused(f"缺少字段：{'、'.join(missing)}")
    return row
