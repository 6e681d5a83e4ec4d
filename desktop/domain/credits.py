"""Hours into credits (学分), and the life of a credit entry (六. 规范、精细管理教师培训学分).

The province sets how many hours make a credit, per training level and, where a program differs, per
program; online hours may weigh less than face-to-face ones. Credits are rounded down: a teacher is
never granted more than the hours earned, and the province refuses entries that overstate them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from guopei_common.vocab import CreditStatus, Program, TrainingLevel


def _exact(value: float) -> Fraction:
    # Through the shortest decimal text: 3.9 hours must stay 3.9, not 3.8999… before rounding down.
    return Fraction(str(value))


def _number(value: float | Fraction) -> str:
    return f"{float(value):g}"


@dataclass(frozen=True)
class CreditRule:
    hours_per_credit: float = 10
    online_ratio: float = 1.0  # an online hour counts as this many hours
    max_credits: float | None = None  # per entry (one project)
    rounding: float = 0.1  # credits are granted in steps of this size, rounded down

    def __post_init__(self) -> None:
        if self.hours_per_credit <= 0:
            raise ValueError(f"每学分学时数必须大于 0，收到 {self.hours_per_credit:g}")
        if not 0 <= self.online_ratio <= 1:
            raise ValueError(f"线上学时折算比例应在 0 到 1 之间，收到 {self.online_ratio:g}")
        if self.max_credits is not None and self.max_credits < 0:
            raise ValueError(f"学分上限不能为负数，收到 {self.max_credits:g}")
        if self.rounding <= 0:
            raise ValueError(f"学分取整单位必须大于 0，收到 {self.rounding:g}")

    def to_dict(self) -> dict:
        return {
            "hours_per_credit": self.hours_per_credit,
            "online_ratio": self.online_ratio,
            "max_credits": self.max_credits,
            "rounding": self.rounding,
        }

    @classmethod
    def from_dict(cls, values: dict) -> CreditRule:
        """Missing keys take the defaults."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**{name: None if value is None else float(value) for name, value in known.items()})


@dataclass(frozen=True)
class CreditPolicy:
    """The province's credit rules: a program's own rule beats its level's, which beats the default."""

    default: CreditRule = field(default_factory=CreditRule)
    by_level: dict[TrainingLevel, CreditRule] = field(default_factory=dict)
    by_program: dict[Program, CreditRule] = field(default_factory=dict)

    def rule_for(self, program: Program) -> CreditRule:
        if program in self.by_program:
            return self.by_program[program]
        return self.by_level.get(program.level, self.default)

    def to_dict(self) -> dict:
        return {
            "default": self.default.to_dict(),
            "by_level": {level.value: rule.to_dict() for level, rule in self.by_level.items()},
            "by_program": {program.value: rule.to_dict() for program, rule in self.by_program.items()},
        }

    @classmethod
    def from_dict(cls, values: dict) -> CreditPolicy:
        # Codes this release does not know come from a newer province policy; no project of this
        # release can be under them, so they are skipped rather than refusing the whole policy.
        levels = {level.value: level for level in TrainingLevel}
        programs = {program.value: program for program in Program}
        return cls(
            default=CreditRule.from_dict(values.get("default") or {}),
            by_level={
                levels[code]: CreditRule.from_dict(rule)
                for code, rule in (values.get("by_level") or {}).items()
                if code in levels
            },
            by_program={
                programs[code]: CreditRule.from_dict(rule)
                for code, rule in (values.get("by_program") or {}).items()
                if code in programs
            },
        )


@dataclass(frozen=True)
class CreditGrant:
    hours: float  # counted hours, online ones already weighted
    credits: float
    explanation: str  # Chinese, shown on the transcript and in exports


def _credit_text(credits: Fraction, rounding: float) -> str:
    """Credits with as many decimals as the rounding step has (0.1 → "3.0", 0.25 → "2.75", 1 → "3")."""
    exponent = Decimal(str(rounding)).normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{float(credits):.{decimals}f}"


def credits_for(rule: CreditRule, *, face_to_face_hours: float, online_hours: float) -> CreditGrant:
    """The credits `rule` grants for the attended hours, with the arithmetic spelt out."""
    if face_to_face_hours < 0 or online_hours < 0:
        raise ValueError("学时不能为负数")
    face, online, ratio = _exact(face_to_face_hours), _exact(online_hours), _exact(rule.online_ratio)
    hours = face + online * ratio

    parts = []
    if face or not online:
        parts.append(f"面授 {_number(face)} 学时")
    if online:
        weight = "" if ratio == 1 else f" × {_number(ratio)}"
        parts.append(f"线上 {_number(online)} 学时{weight}")
    sum_text = " + ".join(parts)
    if len(parts) > 1 or ratio != 1:
        sum_text += f" = {_number(hours)} 学时"

    step = _exact(rule.rounding)
    earned = hours / _exact(rule.hours_per_credit)
    credits = math.floor(earned / step) * step
    per_credit = _number(rule.hours_per_credit)
    text = f"{sum_text}，每 {per_credit} 学时 1 学分，计 {_credit_text(credits, rule.rounding)} 学分"
    if credits != earned:
        text += f"（不足 {_number(rule.rounding)} 学分的部分不计）"
    if rule.max_credits is not None and credits > _exact(rule.max_credits):
        credits = _exact(rule.max_credits)
        text += f"，超过上限，按 {_credit_text(credits, rule.rounding)} 学分计"
    return CreditGrant(float(hours), float(credits), text)


# A credit entry: the county drafts it, submits it to the province, which approves or sends it back;
# a returned entry is corrected as a draft and submitted again.
CREDIT_TRANSITIONS: dict[CreditStatus, frozenset[CreditStatus]] = {
    CreditStatus.DRAFT: frozenset({CreditStatus.SUBMITTED}),
    CreditStatus.SUBMITTED: frozenset({CreditStatus.APPROVED, CreditStatus.REJECTED}),
    CreditStatus.REJECTED: frozenset({CreditStatus.DRAFT}),
}
# Once submitted the province holds the entry: local edits would diverge from what it reviews.
_EDITABLE = frozenset({CreditStatus.DRAFT, CreditStatus.REJECTED})


def check_credit_transition(current: CreditStatus, wanted: CreditStatus, reason: str = "") -> None:
    """Raises ValueError (in Chinese) unless the entry may go from `current` to `wanted`."""
    allowed = CREDIT_TRANSITIONS.get(current, frozenset())
    if wanted not in allowed:
        names = "、".join(status.label for status in CreditStatus if status in allowed) or "无"
        raise ValueError(f"学分登记目前为“{current.label}”，不能改为“{wanted.label}”（可改为：{names}）")
    if wanted == CreditStatus.REJECTED and not reason.strip():
        raise ValueError("退回学分登记须填写原因，以便县里更正后重新提交")


def editable(status: CreditStatus) -> bool:
    return status in _EDITABLE
