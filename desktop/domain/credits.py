"""Hours into credits (学分), and the life of a credit entry (六. 规范、精细管理教师培训学分).

The province sets how many hours make a credit, per training level and, where a program differs, per
program; online hours may weigh less than face-to-face ones (guopei_common.credit_rules, sent with the
policy). Credits are rounded down: a teacher is never granted more than the hours earned, and the
province refuses entries that overstate them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from guopei_common.credit_rules import CreditRule
from guopei_common.errors import RuleViolation
from guopei_common.vocab import CreditStatus


def _exact(value: float) -> Fraction:
    # Through the shortest decimal text: 3.9 hours must stay 3.9, not 3.8999… before rounding down.
    return Fraction(str(value))


def _number(value: float | Fraction) -> str:
    return f"{float(value):g}"


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
        raise RuleViolation("学时不能为负数")
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
        raise RuleViolation(f"学分登记目前为“{current.label}”，不能改为“{wanted.label}”（可改为：{names}）")
    if wanted == CreditStatus.REJECTED and not reason.strip():
        raise RuleViolation("退回学分登记须填写原因，以便县里更正后重新提交")


def editable(status: CreditStatus) -> bool:
    return status in _EDITABLE
