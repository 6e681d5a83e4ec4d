"""The notice's selection rules at their boundaries (三, 四, 六 of 教师厅〔2020〕1号)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.domain import policy_text
from desktop.domain.eligibility import (
    Ban,
    Conditions,
    LevelLimit,
    PastEnrollment,
    Policy,
    ProjectFacts,
    TeacherFacts,
    decide,
)
from guopei_common.vocab import EnrollmentStatus, Program, ProjectType, TrainingLevel

START = dt.date(2026, 7, 10)
PROJECT = ProjectFacts(
    id="p",
    name="2026年乡村骨干教师能力提升",
    program=Program.GUOPEI_MIDWEST,
    project_type=ProjectType.BACKBONE,
    start=START,
    end=dt.date(2026, 7, 20),
    quota=50,
    conditions=Conditions(stages=("21", "31"), min_years=3, max_age=55, rural_only=True),
    topic="学科教学能力",
)
TEACHER = TeacherFacts(
    id="t",
    name="罗春燕",
    birth_date=dt.date(1985, 3, 1),
    stage="21",
    subject="01",
    role="teacher",
    work_start_year=2008,
    rural=True,
    poverty_area=True,
    in_reserve_pool=False,
    active=True,
)


def past(
    *,
    program: Program = Program.GUOPEI_MIDWEST,
    project_type: ProjectType = ProjectType.THEMATIC,
    start: dt.date = dt.date(2022, 5, 1),
    days: int = 10,
    status: EnrollmentStatus = EnrollmentStatus.COMPLETED,
    project_id: str = "old",
    topic: str = "学科教学能力",
    subjects: tuple[str, ...] = (),
) -> PastEnrollment:
    return PastEnrollment(
        project_id,
        "往年项目",
        program,
        project_type,
        start,
        start + dt.timedelta(days=days),
        status,
        topic,
        subjects,
    )


def refusal_rules(decision) -> set[str]:
    return {reason.rule for reason in decision.refusals}


DEFAULT_POLICY = Policy()


def check(teacher=TEACHER, project=PROJECT, *, history=(), bans=(), seats_taken=0, policy=DEFAULT_POLICY):
    return decide(
        teacher, project, history=tuple(history), bans=tuple(bans), seats_taken=seats_taken, policy=policy
    )


def test_a_fitting_rural_teacher_is_eligible_with_every_reason_listed():
    decision = check()
    assert decision.eligible
    assert {r.rule for r in decision.reasons} == {"stage", "years", "age", "rural", "ban", "cycle", "quota"}
    assert decision.summary() == "符合参训条件"


@pytest.mark.parametrize(
    ("change", "rule", "text"),
    [
        ({"stage": "34"}, "stage", "学段不符（项目面向小学、初中）"),
        ({"rural": False}, "rural", "项目仅面向乡村学校"),
        ({"work_start_year": 2024}, "years", "教龄 2 年不符合要求（3–99 年）"),
        ({"work_start_year": None}, "years", "缺少参加工作年份"),
        ({"birth_date": dt.date(1970, 7, 9)}, "age", "年龄 56 岁不符合要求"),
        ({"active": False}, "employment", "已退休或调出"),
    ],
)
def test_each_condition_refuses_with_its_reason(change, rule, text):
    decision = check(replace(TEACHER, **change))
    assert rule in refusal_rules(decision)
    assert any(text in r.text for r in decision.refusals)


def test_age_and_years_boundaries_are_inclusive():
    # 55 until the day before the 56th birthday, and exactly 3 years of service: both still fit.
    assert check(replace(TEACHER, birth_date=dt.date(1970, 7, 11), work_start_year=2023)).eligible
    assert not check(replace(TEACHER, birth_date=dt.date(1970, 7, 10))).eligible  # 56 on the first day


def test_reserve_pool_and_role_conditions():
    project = replace(PROJECT, conditions=Conditions(roles=("principal",), reserve_pool_only=True))
    decision = check(project=project)
    assert refusal_rules(decision) == {"role", "reserve_pool"}
    assert check(replace(TEACHER, role="principal", in_reserve_pool=True), project).eligible


@pytest.mark.parametrize(
    ("ban_until", "eligible"),
    [
        (START + dt.timedelta(days=1), False),  # banned until the day after the project starts
        (START, True),  # the ban ends the day the project starts
        (START - dt.timedelta(days=1), True),
    ],
)
def test_three_year_ban_ends_on_its_day(ban_until, eligible):
    ban = Ban("劝退", "2023年乡村新教师入职培训", ban_until)
    decision = check(bans=[ban])
    assert decision.eligible is eligible
    if not eligible:
        assert "前不得参加国培" in decision.refusals[0].text


def test_the_ban_applies_to_guopei_only():
    county = replace(PROJECT, program=Program.COUNTY)
    assert check(project=county, bans=[Ban("未报到", "x", START + dt.timedelta(days=300))]).eligible


def test_special_reason_withdrawal_does_not_count_against_the_cycle():
    withdrawn = past(start=dt.date(2025, 3, 1), status=EnrollmentStatus.WITHDRAWN)
    assert check(history=[withdrawn]).eligible


@pytest.mark.parametrize(
    ("limit", "count", "eligible"),
    [(1, 0, True), (1, 1, False), (2, 1, True), (2, 2, False)],
)
def test_cycle_limit_at_n_and_n_plus_one(limit, count, eligible):
    history = [past(start=dt.date(2024 + i, 3, 1), project_id=f"old{i}") for i in range(count)]
    decision = check(history=history, policy=Policy(guopei_limit=limit, cycle_years=3))
    assert decision.eligible is eligible
    assert ("cycle" in refusal_rules(decision)) is not eligible


def test_cycle_window_is_counted_from_the_project_start():
    inside = past(start=dt.date(2023, 7, 11))  # within three years of 2026-07-10
    outside = past(start=dt.date(2023, 7, 10))  # exactly three years before: outside the window
    assert not check(history=[inside]).eligible
    assert check(history=[outside]).eligible


def test_the_same_training_is_refused_within_the_cycle_with_the_notices_words():
    same = past(
        program=Program.GUOPEI_DEMONSTRATION, project_type=ProjectType.BACKBONE, start=dt.date(2025, 4, 1)
    )
    policy = Policy(guopei_limit=2, cycle_years=3)  # the 国培 count leaves room: only the repeat refuses
    decision = check(history=[same], policy=policy)
    assert refusal_rules(decision) == {"same_training"}
    refusal = decision.refusals[0]
    assert "同级同类同主题" in refusal.text and "学科教学能力" in refusal.text
    assert refusal.source.endswith(policy_text.REPEAT.cite())
    assert "合理规定周期内教师参加“国培计划”的限制次数，杜绝重复培训。" in decision.summary()
    # Completed exactly three years before the start: outside the window.
    old = replace(same, start=dt.date(2023, 6, 30), end=dt.date(2023, 7, 10))
    assert check(history=[old], policy=policy).eligible
    inside = replace(same, start=dt.date(2023, 6, 30), end=dt.date(2023, 7, 11))
    assert not check(history=[inside], policy=policy).eligible


@pytest.mark.parametrize(
    ("change", "repeat"),
    [
        ({}, True),
        ({"topic": "心理健康教育"}, False),  # another topic: 新课标 does not block 心理健康
        ({"topic": " 学科教学 能力 "}, True),  # spaces do not make another topic
        ({"topic": ""}, True),  # a project without a topic cannot be told apart: counted as the same
        ({"project_type": ProjectType.THEMATIC}, False),  # another type
        ({"program": Program.COUNTY}, False),  # a county 骨干 training does not block the national one
        ({"program": Program.PROVINCIAL}, False),  # nor a provincial one (分层递进)
        ({"subjects": ("02",)}, False),  # another subject's edition
        ({"subjects": ("01", "02")}, True),  # a shared subject
        ({"status": EnrollmentStatus.WITHDRAWN}, False),
        ({"status": EnrollmentStatus.ADMITTED, "start": dt.date(2026, 8, 1)}, True),  # active: still the same
    ],
)
def test_the_same_training_is_same_level_same_type_same_topic(change, repeat):
    project = replace(PROJECT, program=Program.GUOPEI_DEMONSTRATION, conditions=Conditions(subjects=("01",)))
    earlier = replace(past(project_type=ProjectType.BACKBONE, start=dt.date(2025, 4, 1)), **change)
    decision = check(project=project, history=[earlier], policy=Policy(guopei_limit=9, cycle_years=3))
    assert ("same_training" in refusal_rules(decision)) is repeat


def test_moving_down_a_level_after_a_national_training_is_not_a_repeat_either():
    national = past(project_type=ProjectType.BACKBONE, start=dt.date(2025, 4, 1))
    county = replace(PROJECT, program=Program.COUNTY)
    assert check(project=county, history=[national]).eligible


@pytest.mark.parametrize(("count", "eligible"), [(0, True), (1, True), (2, False)])
def test_a_province_may_limit_other_levels_too(count, eligible):
    policy = Policy(level_limits={TrainingLevel.PROVINCIAL: LevelLimit(2, 2)})
    provincial = replace(PROJECT, program=Program.PROVINCIAL)
    history = [
        past(program=Program.PROVINCIAL, start=dt.date(2025, 1 + i, 1), project_id=f"o{i}", topic=f"主题{i}")
        for i in range(count)
    ]
    decision = check(project=provincial, history=history, policy=policy)
    assert decision.eligible is eligible
    if not eligible:
        assert refusal_rules(decision) == {"level_cycle"}
        assert "每 2 年至多 2 次" in decision.refusals[0].text
    # A level without a limit set counts nothing.
    assert "level_cycle" not in {
        r.rule for r in check(project=replace(PROJECT, program=Program.CITY)).reasons
    }


def test_level_limits_survive_the_settings_round_trip():
    policy = Policy(guopei_limit=2, cycle_years=5, level_limits={TrainingLevel.PROVINCIAL: LevelLimit(1, 3)})
    assert Policy.from_dict(policy.to_dict()) == policy
    assert Policy.from_dict({"guopei_limit": 1, "cycle_years": 3}) == Policy()
    # A level a newer province knows and this release does not is skipped.
    assert Policy.from_dict({"level_limits": {"galactic": {"limit": 1, "years": 1}}}) == Policy()
    with pytest.raises(ValueError):
        LevelLimit(0, 3)


def test_every_quotation_is_the_notices_own_words():
    notice = (
        Path(__file__).parents[2] / "resources" / "policy" / "jiaoshiting-2020-1-guopei-notice.txt"
    ).read_text(encoding="utf-8")
    for source in policy_text.ALL:
        assert source.words in notice, source.words


def test_overlapping_dates_with_an_active_enrollment():
    clash = past(program=Program.COUNTY, start=dt.date(2026, 7, 18), status=EnrollmentStatus.ADMITTED)
    decision = check(history=[clash])
    assert refusal_rules(decision) == {"overlap"}
    assert "时间冲突" in decision.refusals[0].text
    touching = past(program=Program.COUNTY, start=dt.date(2026, 7, 21), status=EnrollmentStatus.ADMITTED)
    assert check(history=[touching]).eligible


def test_quota_full_and_already_enrolled():
    assert refusal_rules(check(seats_taken=50)) == {"quota"}
    assert check(seats_taken=49).eligible
    mine = past(project_id="p", start=START, status=EnrollmentStatus.APPLIED)
    assert "duplicate" in refusal_rules(check(history=[mine]))


def test_every_refusal_is_reported_at_once():
    decision = check(replace(TEACHER, stage="34", rural=False), seats_taken=50)
    assert refusal_rules(decision) == {"stage", "rural", "quota"}
    assert decision.summary().startswith("不符合：学段不符")
