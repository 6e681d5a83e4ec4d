"""The completion rule (结业) at its boundaries: one fifth absent still completes, a little more fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction

import pytest

from desktop.domain.completion import (
    CompletionRule,
    CompletionTooEarly,
    TraineeRecord,
    check_decidable,
    propose,
)
from desktop.errors import UserInputError
from guopei_common.errors import RuleViolation
from guopei_common.vocab import CompletionOutcome

# 60 scheduled hours: one fifth is 12 hours.
GOOD = TraineeRecord(
    hours_scheduled=60,
    hours_attended=60,
    sessions_held=10,
    sessions_absent=0,
    assessment_passed=True,
    outcome_submitted=True,
)
STRICT = CompletionRule(min_attendance_hours=45, assessment_required=True, outcome_required=True)


def texts(rule: CompletionRule, record: TraineeRecord) -> dict[str, tuple[str, bool]]:
    return {reason.rule: (reason.text, reason.met) for reason in propose(rule, record).reasons}


@pytest.mark.parametrize(
    ("attended", "completed"),
    [
        (60, True),
        (48, True),  # exactly one fifth absent
        (47.9, False),  # a tenth of an hour more
        (47, False),  # one hour more
        (0, False),
        (61, True),  # an extra session is not negative absence
    ],
)
def test_absence_share_boundary(attended: float, completed: bool) -> None:
    rule = CompletionRule(outcome_required=False)
    proposal = propose(rule, replace(GOOD, hours_attended=attended))
    assert (proposal.outcome == CompletionOutcome.COMPLETED) is completed
    assert [reason.rule for reason in proposal.reasons] == ["absence"]


def test_one_fifth_in_tenths_of_hours_is_exact() -> None:
    # 0.1-hour steps are not exact in binary floats; 1.7 of 8.5 hours is exactly one fifth.
    record = replace(GOOD, hours_scheduled=8.5, hours_attended=6.8)
    assert propose(CompletionRule(outcome_required=False), record).outcome == CompletionOutcome.COMPLETED


def test_absence_reason_texts() -> None:
    within = texts(STRICT, replace(GOOD, hours_attended=52, sessions_absent=2))["absence"]
    assert within == ("缺勤 8 学时，缺课 2/10 次，占总学时 13%，未超过五分之一（请假计入缺勤）", True)
    over = texts(STRICT, replace(GOOD, hours_scheduled=60, hours_attended=46))["absence"]
    assert over == ("缺勤超过总学时的五分之一（缺勤 14 学时，占总学时 23%；请假计入缺勤）", False)
    assert texts(STRICT, GOOD)["absence"] == ("全勤（60 学时）", True)


def test_percentage_never_looks_equal_to_the_limit_when_over_it() -> None:
    text, met = texts(STRICT, replace(GOOD, hours_scheduled=100, hours_attended=79.9))["absence"]
    assert not met
    assert "20.1%" in text


def test_other_share_is_named() -> None:
    rule = CompletionRule(max_absence_share=Fraction(1, 10), outcome_required=False)
    text, met = texts(rule, replace(GOOD, hours_attended=54))["absence"]
    assert met and "未超过十分之一" in text


def test_nothing_scheduled_cannot_complete() -> None:
    proposal = propose(CompletionRule(), replace(GOOD, hours_scheduled=0, hours_attended=0))
    assert proposal.outcome == CompletionOutcome.NOT_COMPLETED
    assert "未安排任何学时" in proposal.reasons[0].text


@pytest.mark.parametrize(
    ("attended", "met", "text"),
    [
        (45, True, "实到 45 学时，达到最低 45 学时要求"),
        (44.5, False, "实到 44.5 学时，未达到最低 45 学时要求"),
    ],
)
def test_min_attendance_hours(attended: float, met: bool, text: str) -> None:
    # 50 scheduled, so the share of absence stays within one fifth and only the minimum decides.
    record = replace(GOOD, hours_scheduled=50, hours_attended=attended)
    assert texts(STRICT, record)["min_hours"] == (text, met)
    assert (propose(STRICT, record).outcome == CompletionOutcome.COMPLETED) is met


@pytest.mark.parametrize(
    ("passed", "required", "expected"),
    [
        (True, True, ("考核合格", True)),
        (False, True, ("考核未通过", False)),
        (None, True, ("尚无考核结果", False)),
        (False, False, None),  # not a condition of this project
        (None, False, None),
    ],
)
def test_assessment(passed: bool | None, required: bool, expected: tuple[str, bool] | None) -> None:
    rule = replace(STRICT, assessment_required=required)
    record = replace(GOOD, assessment_passed=passed)
    assert texts(rule, record).get("assessment") == expected
    completed = expected is None or expected[1]
    assert (propose(rule, record).outcome == CompletionOutcome.COMPLETED) is completed


@pytest.mark.parametrize(
    ("submitted", "required", "expected"),
    [
        (True, True, ("研修成果已提交", True)),
        (False, True, ("未提交研修成果（成果应用考核）", False)),
        (False, False, None),
    ],
)
def test_outcome(submitted: bool, required: bool, expected: tuple[str, bool] | None) -> None:
    rule = replace(STRICT, outcome_required=required)
    assert texts(rule, replace(GOOD, outcome_submitted=submitted)).get("outcome") == expected


def test_every_reason_is_listed_met_or_not() -> None:
    record = replace(
        GOOD, hours_attended=40, sessions_absent=3, assessment_passed=None, outcome_submitted=False
    )
    proposal = propose(STRICT, record)
    assert proposal.outcome == CompletionOutcome.NOT_COMPLETED
    assert [reason.rule for reason in proposal.reasons] == ["absence", "min_hours", "assessment", "outcome"]
    assert [reason.met for reason in proposal.reasons] == [False, False, False, False]
    assert proposal.summary().startswith("未结业：缺勤超过总学时的五分之一")
    assert len(proposal.unmet) == 4

    passing = propose(STRICT, GOOD)
    assert passing.outcome == CompletionOutcome.COMPLETED
    assert [reason.rule for reason in passing.reasons] == ["absence", "min_hours", "assessment", "outcome"]
    assert all(reason.met for reason in passing.reasons)
    assert passing.summary() == "符合结业条件"


@pytest.mark.parametrize(
    "rule",
    [CompletionRule(), STRICT, CompletionRule(max_absence_share=Fraction(1, 3), outcome_required=False)],
)
def test_rule_round_trip(rule: CompletionRule) -> None:
    assert CompletionRule.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("stored", "share"), [("1/5", Fraction(1, 5)), ("0.2", Fraction(1, 5)), (0.1, Fraction(1, 10))]
)
def test_rule_from_dict_reads_share_exactly(stored: object, share: Fraction) -> None:
    assert CompletionRule.from_dict({"max_absence_share": stored}).max_absence_share == share
    assert CompletionRule.from_dict({}) == CompletionRule()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_absence_share": Fraction(6, 5)},
        {"max_absence_share": Fraction(-1, 5)},
        {"min_attendance_hours": -1},
    ],
)
def test_rule_refuses_nonsense(kwargs: dict) -> None:
    with pytest.raises(RuleViolation):
        CompletionRule(**kwargs)


def test_lateness_is_named_in_the_absence_reason() -> None:
    # 3 hours lost to arriving late and leaving early, 2 to a missed session: 5 of 60 hours absent.
    record = replace(GOOD, hours_attended=55, sessions_absent=1, hours_lost_late_early=3)
    assert texts(STRICT, record)["absence"] == (
        "缺勤 5 学时（含迟到早退 3 学时），缺课 1/10 次，占总学时 8%，未超过五分之一（请假计入缺勤）",
        True,
    )
    # Late every day: no session missed, and still past the limit.
    late = replace(GOOD, hours_attended=47.5, hours_lost_late_early=12.5)
    text, met = texts(STRICT, late)["absence"]
    assert not met and "缺勤 12.5 学时（含迟到早退 12.5 学时）" in text


LAST_SESSION_END = dt.datetime(2026, 12, 2, 17, 0)


@pytest.mark.parametrize(
    ("now", "decidable"),
    [
        (dt.datetime(2026, 11, 30, 17, 0), False),  # the project is still running
        (LAST_SESSION_END - dt.timedelta(minutes=1), False),  # during the last session
        (LAST_SESSION_END, True),
        (dt.datetime(2026, 12, 3, 9, 0), True),
    ],
)
def test_decided_only_after_the_last_session(now: dt.datetime, decidable: bool) -> None:
    if decidable:
        check_decidable(last_session_end=LAST_SESSION_END, now=now)
        return
    with pytest.raises(CompletionTooEarly) as refused:
        check_decidable(last_session_end=LAST_SESSION_END, now=now)
    assert isinstance(refused.value, UserInputError)
    assert "2026年12月02日 17:00" in str(refused.value) and "劝退" in str(refused.value)
