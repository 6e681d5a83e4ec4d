"""The training cycle (周期) and a teacher's total in it, at the boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.domain.coverage import SCHOOL_FLAGS, covered
from guopei_common.training_cycle import CycleHours, RequiredCategory, TrainingCycle, cycle_total
from guopei_common.vocab import Program

CYCLE = TrainingCycle()


@pytest.mark.parametrize(
    ("year", "first", "last"),
    [(2021, 2021, 2025), (2025, 2021, 2025), (2026, 2026, 2030), (2020, 2016, 2020)],
)
def test_cycles_run_five_years_from_2021(year, first, last):
    assert CYCLE.years_of(year) == (first, last)


def test_total_and_shortfalls_against_360_hours_and_the_required_categories():
    trainings = [
        CycleHours(300, 30, "thematic", "师德师风与教学规范"),  # counts as 师德
        CycleHours(49, 4.9, "it_ability", "信息技术应用能力"),  # one hour short of 50
        CycleHours(11, 1.1),  # a manual entry: counts to the total only
    ]
    total = cycle_total(CYCLE, trainings)
    assert (total.hours, total.credits) == (360, 36)
    assert total.shortfalls == ("信息技术应用能力差 1 学时",)
    met = cycle_total(CYCLE, [*trainings, CycleHours(1, 0.1, "it_ability")])
    assert met.shortfalls == ()
    assert cycle_total(CYCLE, []).shortfalls[0] == "总学时差 360"


def test_a_province_cycle_round_trips_and_defaults_fill_what_it_leaves_out():
    cycle = TrainingCycle(2024, 3, 240, (RequiredCategory("心理健康", 12, (), ("心理",)),))
    assert TrainingCycle.from_dict(cycle.to_dict()) == cycle
    assert TrainingCycle.from_dict({"required_hours": 300}).categories == TrainingCycle().categories
    with pytest.raises(ValueError):
        TrainingCycle(years=0)


def test_only_guopei_and_provincial_completions_of_the_current_cycle_cover():
    today = dt.date(2026, 6, 1)
    assert covered([(Program.PROVINCIAL, dt.date(2026, 1, 1))], cycle=CYCLE, today=today)
    assert covered([(Program.GUOPEI_KINDERGARTEN, dt.date(2026, 5, 1))], cycle=CYCLE, today=today)
    assert not covered([(Program.GUOPEI_MIDWEST, dt.date(2025, 12, 31))], cycle=CYCLE, today=today)
    assert not covered(
        [(Program.COUNTY, dt.date(2026, 3, 1)), (Program.SCHOOL, dt.date(2026, 4, 1))],
        cycle=CYCLE,
        today=today,
    )


def test_every_school_flag_names_its_source():
    assert {flag.label for flag in SCHOOL_FLAGS} == {
        "三区三州",
        "集中连片特困地区",
        "脱贫县",
        "国家乡村振兴重点帮扶县",
        "民族地区",
    }
    assert all(flag.source for flag in SCHOOL_FLAGS)
    assert [flag.label for flag in SCHOOL_FLAGS if not flag.poverty] == ["民族地区"]
