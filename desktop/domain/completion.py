"""Whether a trainee completed (结业) a project: the project's completion rule as a pure function.

The notice (六.) asks for strict process management and an assessment of how trainees apply what they
learnt (培训成果应用考核); not completing bars a teacher from 国培 for three years. So the proposal
carries every reason, met or not, and a person approves it before it becomes the enrollment's status.

Absence is measured in hours (scheduled − attended), not in sessions: a missed half-day session and a
missed two-hour evening session weigh differently. Leave (请假) still counts as absence, because what
the trainee must reach is hours actually attended, and so do minutes missed by arriving late or
leaving early past the grace period (`desktop.domain.presence`).

A decision is final (in 国培 a non-completion bars the teacher for three years), so it is taken only
once the project's last session is over; until then a proposal counts only the sessions held so far,
and the only ways out are 劝退 and 退训, each with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from desktop.domain.eligibility import Reason
from desktop.errors import UserInputError
from guopei_common.errors import RuleViolation
from guopei_common.vocab import CompletionOutcome

_CHINESE_DIGITS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class CompletionRule:
    """A project's completion rule (project.completion_rule in the database)."""

    # Absence may reach this share of the scheduled hours; one hour more and the trainee fails.
    max_absence_share: Fraction = Fraction(1, 5)
    min_attendance_hours: float | None = None
    assessment_required: bool = False
    # 研修成果 (the product of the training put to use), asked for by the notice's 成果应用考核.
    outcome_required: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.max_absence_share <= 1:
            raise RuleViolation(f"缺勤上限应在 0 到 1 之间，收到 {self.max_absence_share}")
        if self.min_attendance_hours is not None and self.min_attendance_hours < 0:
            raise RuleViolation(f"最低出勤学时不能为负数，收到 {self.min_attendance_hours:g}")

    def to_dict(self) -> dict:
        # The share travels as "1/5" so that a JSON round trip keeps it exact.
        return {
            "max_absence_share": str(self.max_absence_share),
            "min_attendance_hours": self.min_attendance_hours,
            "assessment_required": self.assessment_required,
            "outcome_required": self.outcome_required,
        }

    @classmethod
    def from_dict(cls, values: dict) -> CompletionRule:
        """Missing keys take the defaults; the share may be "1/5", "0.2" or a number."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        if "max_absence_share" in known:
            share = known["max_absence_share"]
            # str() first: Fraction(0.2) would be the binary float, not one fifth.
            known["max_absence_share"] = Fraction(share if isinstance(share, str) else str(share))
        if known.get("min_attendance_hours") is not None:
            known["min_attendance_hours"] = float(known["min_attendance_hours"])
        return cls(**known)


@dataclass(frozen=True)
class TraineeRecord:
    """What attendance and assessment say about one enrollment when the project ends."""

    hours_scheduled: float
    hours_attended: float  # excused (请假) hours are not attended hours
    sessions_held: int
    sessions_absent: int
    assessment_passed: bool | None  # None: no result entered yet
    outcome_submitted: bool
    # Of the hours not attended, those lost to late arrival or early departure at sessions attended.
    hours_lost_late_early: float = 0.0


@dataclass(frozen=True)
class Proposal:
    outcome: CompletionOutcome
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def unmet(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if not reason.met)

    def summary(self) -> str:
        if self.outcome == CompletionOutcome.COMPLETED:
            return "符合结业条件"
        return "未结业：" + "；".join(reason.text for reason in self.unmet)


def _exact(hours: float) -> Fraction:
    # Through the shortest decimal text, so that 0.1-hour steps compare exactly against the limit.
    return Fraction(str(hours))


def _hours(value: Fraction | float) -> str:
    return f"{float(value):g}"


def _share_name(share: Fraction) -> str:
    """五分之一 for 1/5; a percentage when the fraction has no short Chinese name."""
    if 0 < share < 1 and share.denominator <= 10:
        return f"{_CHINESE_DIGITS[share.denominator]}分之{_CHINESE_DIGITS[share.numerator]}"
    return f"{float(share):.0%}"


def _percent(share: Fraction, limit: Fraction) -> str:
    """The share as a percentage, with as many decimals as it takes not to look equal to the limit
    when it is not (20.4% shown as "20%" beside a limit of one fifth would read as a wrong refusal)."""
    for decimals in range(3):
        text = f"{float(share) * 100:.{decimals}f}"
        if share == limit or text != f"{float(limit) * 100:.{decimals}f}":
            return text + "%"
    return f"{float(share) * 100:.3f}%"


def _absence_reason(rule: CompletionRule, record: TraineeRecord) -> Reason:
    scheduled = _exact(record.hours_scheduled)
    if scheduled <= 0:
        return Reason("absence", "未安排任何学时，无法核定出勤", False)
    # Attending more than scheduled (an extra session) is not negative absence.
    absent = max(scheduled - _exact(record.hours_attended), Fraction(0))
    share = absent / scheduled
    limit = _share_name(rule.max_absence_share)
    ok = share <= rule.max_absence_share
    if absent == 0:
        return Reason("absence", f"全勤（{_hours(scheduled)} 学时）", ok)
    # Lateness and leaving early also cost hours without a whole session missed.
    sessions = f"，缺课 {record.sessions_absent}/{record.sessions_held} 次" if record.sessions_absent else ""
    if record.hours_lost_late_early > 0:
        sessions = f"（含迟到早退 {_hours(_exact(record.hours_lost_late_early))} 学时）" + sessions
    detail = f"缺勤 {_hours(absent)} 学时{sessions}，占总学时 {_percent(share, rule.max_absence_share)}"
    if ok:
        text = f"{detail}，未超过{limit}（请假计入缺勤）"
    else:
        text = f"缺勤超过总学时的{limit}（{detail}；请假计入缺勤）"
    return Reason("absence", text, ok)


def propose(rule: CompletionRule, record: TraineeRecord) -> Proposal:
    """The outcome the rule gives for the record, with every reason the rule checks."""
    reasons = [_absence_reason(rule, record)]
    if rule.min_attendance_hours is not None:
        attended = _exact(record.hours_attended)
        ok = attended >= _exact(rule.min_attendance_hours)
        reasons.append(
            Reason(
                "min_hours",
                f"实到 {_hours(attended)} 学时，{'达到' if ok else '未达到'}"
                f"最低 {_hours(rule.min_attendance_hours)} 学时要求",
                ok,
            )
        )
    if rule.assessment_required:
        if record.assessment_passed is None:
            reasons.append(Reason("assessment", "尚无考核结果", False))
        elif record.assessment_passed:
            reasons.append(Reason("assessment", "考核合格", True))
        else:
            reasons.append(Reason("assessment", "考核未通过", False))
    if rule.outcome_required:
        ok = record.outcome_submitted
        reasons.append(Reason("outcome", "研修成果已提交" if ok else "未提交研修成果（成果应用考核）", ok))
    completed = all(reason.met for reason in reasons)
    return Proposal(
        CompletionOutcome.COMPLETED if completed else CompletionOutcome.NOT_COMPLETED, tuple(reasons)
    )


class CompletionTooEarly(UserInputError):
    """A completion decision asked for before the project's last session is over."""

    def __init__(self, last_session_end: dt.datetime) -> None:
        super().__init__(
            f"项目的最后一次课在 {last_session_end:%Y年%m月%d日 %H:%M} 结束，结业结论须在此之后确认。"
            "在此之前，未参训期满的学员只能在“学员”页办理劝退或特殊原因退训（须填写原因）。"
        )
        self.last_session_end = last_session_end


def check_decidable(*, last_session_end: dt.datetime, now: dt.datetime) -> None:
    """Raises CompletionTooEarly unless the project's last session has ended by `now`."""
    if now < last_session_end:
        raise CompletionTooEarly(last_session_end)
