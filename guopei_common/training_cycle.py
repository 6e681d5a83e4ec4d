"""The teacher's continuing-education cycle (继续教育周期): five years and 360 学时 by default, with the
province's required categories (师德, 信息技术应用能力 …), and a teacher's total in it. Shared: the
province sets the cycle (guopei-server policy --training-cycle) and each county computes with it.

Cycles are counted from `first_year` in steps of `years` (2021–2025, 2026–2030 …). A category is met by
hours of projects whose type is one of its types or whose topic contains one of its words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from guopei_common.vocab import ProjectType


@dataclass(frozen=True)
class RequiredCategory:
    label: str
    min_hours: float
    project_types: tuple[str, ...] = ()
    topic_words: tuple[str, ...] = ()

    def matches(self, project_type: str, topic: str) -> bool:
        return project_type in self.project_types or any(word in topic for word in self.topic_words)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "min_hours": self.min_hours,
            "project_types": list(self.project_types),
            "topic_words": list(self.topic_words),
        }

    @classmethod
    def from_dict(cls, values: dict) -> RequiredCategory:
        return cls(
            str(values["label"]),
            float(values.get("min_hours", 0)),
            tuple(values.get("project_types") or ()),
            tuple(values.get("topic_words") or ()),
        )


# The app's defaults until the province sends its own (`guopei-server policy --training-cycle`):
# 信息技术应用能力提升工程2.0 asks 50 学时 of every teacher per cycle; 师德 is asked in every cycle.
DEFAULT_CATEGORIES = (
    RequiredCategory("师德", 6, (), ("师德",)),
    RequiredCategory("信息技术应用能力", 50, (ProjectType.IT_ABILITY.value,), ("信息技术",)),
)


@dataclass(frozen=True)
class TrainingCycle:
    first_year: int = 2021
    years: int = 5
    required_hours: float = 360
    categories: tuple[RequiredCategory, ...] = field(default=DEFAULT_CATEGORIES)

    def __post_init__(self) -> None:
        if self.years < 1 or self.required_hours < 0:
            raise ValueError(
                f"周期年数应至少为 1、学时不能为负，收到 {self.years} 年 {self.required_hours:g} 学时"
            )

    def years_of(self, year: int) -> tuple[int, int]:
        """The first and last year of the cycle that holds `year`."""
        first = self.first_year + (year - self.first_year) // self.years * self.years
        return first, first + self.years - 1

    def label(self, year: int) -> str:
        first, last = self.years_of(year)
        return f"{first}—{last}年周期"

    def to_dict(self) -> dict:
        return {
            "first_year": self.first_year,
            "years": self.years,
            "required_hours": self.required_hours,
            "categories": [category.to_dict() for category in self.categories],
        }

    @classmethod
    def from_dict(cls, values: dict) -> TrainingCycle:
        default = cls()
        categories = values.get("categories")
        return cls(
            int(values.get("first_year", default.first_year)),
            int(values.get("years", default.years)),
            float(values.get("required_hours", default.required_hours)),
            default.categories
            if categories is None
            else tuple(RequiredCategory.from_dict(c) for c in categories),
        )


@dataclass(frozen=True)
class CycleHours:
    """One credited training in the cycle: its hours, credits, and what it was."""

    hours: float
    credits: float
    project_type: str = ""  # empty for a manual entry
    topic: str = ""


@dataclass(frozen=True)
class CycleTotal:
    hours: float
    credits: float
    required_hours: float
    by_category: tuple[tuple[str, float, float], ...]  # (label, hours, required)

    def summary(self) -> str:
        """The total in words, for the teacher's file and the reports."""
        parts = [f"已 {self.hours:g}/{self.required_hours:g} 学时，{self.credits:g} 学分"]
        parts += [f"{label} {have:g}/{need:g} 学时" for label, have, need in self.by_category]
        missing = self.shortfalls
        parts.append("尚缺：" + "、".join(missing) if missing else "已达周期要求")
        return "；".join(parts)

    @property
    def shortfalls(self) -> tuple[str, ...]:
        """What is still missing, in words (empty: the cycle's requirement is met)."""
        missing = []
        if self.hours < self.required_hours:
            missing.append(f"总学时差 {self.required_hours - self.hours:g}")
        missing += [
            f"{label}差 {need - have:g} 学时" for label, have, need in self.by_category if have < need
        ]
        return tuple(missing)


def cycle_total(cycle: TrainingCycle, trainings: Iterable[CycleHours]) -> CycleTotal:
    items = list(trainings)
    return CycleTotal(
        hours=sum(item.hours for item in items),
        credits=sum(item.credits for item in items),
        required_hours=cycle.required_hours,
        by_category=tuple(
            (
                category.label,
                sum(item.hours for item in items if category.matches(item.project_type, item.topic)),
                category.min_hours,
            )
            for category in cycle.categories
        ),
    )
