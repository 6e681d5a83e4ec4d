"""Hours into credits: which rule applies, the arithmetic, rounding down, and the entry's life."""

from __future__ import annotations

import pytest

from desktop.domain.credits import (
    CREDIT_TRANSITIONS,
    check_credit_transition,
    credits_for,
    editable,
)
from guopei_common.credit_rules import CreditPolicy, CreditRule
from guopei_common.errors import RuleViolation
from guopei_common.vocab import CreditStatus, Program, TrainingLevel

DEFAULT = CreditRule(hours_per_credit=10)
NATIONAL = CreditRule(hours_per_credit=12)
DEMO = CreditRule(hours_per_credit=8, max_credits=6)
POLICY = CreditPolicy(
    default=DEFAULT,
    by_level={TrainingLevel.NATIONAL: NATIONAL},
    by_program={Program.GUOPEI_DEMONSTRATION: DEMO},
)


@pytest.mark.parametrize(
    ("program", "rule"),
    [
        (Program.GUOPEI_DEMONSTRATION, DEMO),  # the program's own rule beats its level's
        (Program.GUOPEI_MIDWEST, NATIONAL),  # the level's rule beats the default
        (Program.GUOPEI_KINDERGARTEN, NATIONAL),
        (Program.COUNTY, DEFAULT),
        (Program.SCHOOL, DEFAULT),
    ],
)
def test_rule_for(program: Program, rule: CreditRule) -> None:
    assert POLICY.rule_for(program) == rule


def test_policy_round_trip() -> None:
    assert CreditPolicy.from_dict(POLICY.to_dict()) == POLICY
    assert CreditPolicy.from_dict({}) == CreditPolicy()


def test_policy_skips_codes_of_a_newer_release() -> None:
    values = POLICY.to_dict()
    values["by_level"]["district"] = DEFAULT.to_dict()
    values["by_program"]["guopei_future"] = DEFAULT.to_dict()
    assert CreditPolicy.from_dict(values) == POLICY


@pytest.mark.parametrize(
    ("rule", "face", "online", "hours", "credits", "explanation"),
    [
        (
            CreditRule(online_ratio=0.5),
            24,
            12,
            30,
            3.0,
            "面授 24 学时 + 线上 12 学时 × 0.5 = 30 学时，每 10 学时 1 学分，计 3.0 学分",
        ),
        (
            CreditRule(),
            24,
            12,
            36,
            3.6,
            "面授 24 学时 + 线上 12 学时 = 36 学时，每 10 学时 1 学分，计 3.6 学分",
        ),
        (CreditRule(), 24, 0, 24, 2.4, "面授 24 学时，每 10 学时 1 学分，计 2.4 学分"),
        (
            CreditRule(online_ratio=0.5),
            0,
            20,
            10,
            1.0,
            "线上 20 学时 × 0.5 = 10 学时，每 10 学时 1 学分，计 1.0 学分",
        ),
        (
            CreditRule(online_ratio=0),
            8,
            20,
            8,
            0.8,
            "面授 8 学时 + 线上 20 学时 × 0 = 8 学时，每 10 学时 1 学分，计 0.8 学分",
        ),
        (CreditRule(), 0, 0, 0, 0.0, "面授 0 学时，每 10 学时 1 学分，计 0.0 学分"),
    ],
)
def test_credits_for(
    rule: CreditRule, face: float, online: float, hours: float, credits: float, explanation: str
) -> None:
    grant = credits_for(rule, face_to_face_hours=face, online_hours=online)
    assert (grant.hours, grant.credits, grant.explanation) == (hours, credits, explanation)


@pytest.mark.parametrize(
    ("rule", "face", "credits"),
    [
        (CreditRule(), 39, 3.9),  # 3.9 exactly: a float slip must not take it down to 3.8
        (CreditRule(), 39.9, 3.9),  # 3.99 rounds down, never up to 4.0
        (CreditRule(), 0.99, 0.0),
        (CreditRule(rounding=0.5), 29.9, 2.5),
        (CreditRule(rounding=1), 29.9, 2.0),
        (CreditRule(hours_per_credit=3), 10, 3.3),
        (CreditRule(rounding=0.25, hours_per_credit=4), 11, 2.75),
    ],
)
def test_rounding_down(rule: CreditRule, face: float, credits: float) -> None:
    grant = credits_for(rule, face_to_face_hours=face, online_hours=0)
    assert grant.credits == credits


def test_rounding_is_explained() -> None:
    grant = credits_for(CreditRule(), face_to_face_hours=39.9, online_hours=0)
    assert grant.explanation.endswith("计 3.9 学分（不足 0.1 学分的部分不计）")
    assert credits_for(CreditRule(rounding=1), face_to_face_hours=29, online_hours=0).explanation.endswith(
        "计 2 学分（不足 1 学分的部分不计）"
    )


@pytest.mark.parametrize(("face", "credits", "capped"), [(40, 4.0, False), (50, 5.0, False), (55, 5.0, True)])
def test_cap(face: float, credits: float, capped: bool) -> None:
    grant = credits_for(CreditRule(max_credits=5), face_to_face_hours=face, online_hours=0)
    assert grant.credits == credits
    assert grant.hours == face  # the hours stay what was attended; only the credits are capped
    assert ("超过上限，按 5.0 学分计" in grant.explanation) is capped


def test_negative_hours_refused() -> None:
    with pytest.raises(RuleViolation, match="学时不能为负数"):
        credits_for(CreditRule(), face_to_face_hours=-1, online_hours=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hours_per_credit": 0},
        {"online_ratio": 1.5},
        {"online_ratio": -0.1},
        {"max_credits": -1},
        {"rounding": 0},
    ],
)
def test_rule_refuses_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CreditRule(**kwargs)


S = CreditStatus


@pytest.mark.parametrize(
    ("current", "wanted", "reason", "allowed"),
    [
        (S.DRAFT, S.SUBMITTED, "", True),
        (S.SUBMITTED, S.APPROVED, "", True),
        (S.SUBMITTED, S.REJECTED, "学时与考勤不符", True),
        (S.SUBMITTED, S.REJECTED, "  ", False),  # rejecting needs a reason
        (S.REJECTED, S.DRAFT, "", True),  # corrected, then submitted again
        (S.DRAFT, S.APPROVED, "", False),  # only the province approves, and only what was submitted
        (S.SUBMITTED, S.DRAFT, "", False),
        (S.APPROVED, S.DRAFT, "", False),
        (S.APPROVED, S.REJECTED, "错了", False),
        (S.REJECTED, S.SUBMITTED, "", False),
    ],
)
def test_transitions(current: S, wanted: S, reason: str, allowed: bool) -> None:
    if allowed:
        check_credit_transition(current, wanted, reason)
    else:
        with pytest.raises(RuleViolation):
            check_credit_transition(current, wanted, reason)


def test_transition_errors_are_in_chinese() -> None:
    with pytest.raises(RuleViolation, match="学分登记目前为“已审核通过”，不能改为“草稿”（可改为：无）"):
        check_credit_transition(S.APPROVED, S.DRAFT, "")
    with pytest.raises(RuleViolation, match="须填写原因"):
        check_credit_transition(S.SUBMITTED, S.REJECTED, "")


def test_approved_is_final() -> None:
    assert S.APPROVED not in CREDIT_TRANSITIONS


@pytest.mark.parametrize(
    ("status", "can_edit"), [(S.DRAFT, True), (S.REJECTED, True), (S.SUBMITTED, False), (S.APPROVED, False)]
)
def test_editable(status: S, can_edit: bool) -> None:
    assert editable(status) is can_edit
