"""The province's credit rules (学时→学分 per level and program, online ratio, cap, rounding), in
versions that each apply from a date. Shared: the province publishes them (guopei-server policy
--credit-rules) and every county computes its drafts with the version in force on a project's end date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from guopei_common.vocab import Program, TrainingLevel


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

    def describe(self) -> str:
        """The rule in words, as the app shows it (read-only) beside its version."""
        text = f"每 {self.hours_per_credit:g} 学时 1 学分"
        if self.online_ratio != 1:
            text += f"，线上 1 学时按 {self.online_ratio:g} 学时计"
        if self.max_credits is not None:
            text += f"，每个项目至多 {self.max_credits:g} 学分"
        return text + f"，按 {self.rounding:g} 学分向下取整"

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

    def lines(self) -> list[tuple[str, str]]:
        """(what it applies to, the rule in words): the default, then each level and program of its own."""
        found = [("其他", self.default.describe())]
        found += [(level.label, rule.describe()) for level, rule in self.by_level.items()]
        found += [(program.label, rule.describe()) for program, rule in self.by_program.items()]
        return found

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
class CreditRuleVersion:
    """One published version of the rules: its name (文号 or version), the day it applies from."""

    version: str
    effective_from: dt.date
    policy: CreditPolicy

    def __post_init__(self) -> None:
        if not self.version.strip() or len(self.version) > 100:
            raise ValueError("学分规则须有版本号（文号），最长 100 字")

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "rules": self.policy.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: dict) -> CreditRuleVersion:
        try:
            day = dt.date.fromisoformat(str(values["effective_from"]))
        except (KeyError, ValueError):
            raise ValueError("学分规则须写明起用日期，如 2026-01-01") from None
        return cls(
            str(values.get("version", "")).strip(), day, CreditPolicy.from_dict(values.get("rules") or {})
        )


def in_force(versions: Sequence[CreditRuleVersion], day: dt.date) -> CreditRuleVersion | None:
    """The version that applies on `day`: the latest to start on or before it (None: none yet)."""
    applying = [version for version in versions if version.effective_from <= day]
    return max(applying, key=lambda version: version.effective_from) if applying else None


def add_version(versions: Sequence[CreditRuleVersion], new: CreditRuleVersion) -> list[CreditRuleVersion]:
    """The versions with `new` added, replacing one of the same name; in order of their dates."""
    kept = [version for version in versions if version.version != new.version]
    return sorted([*kept, new], key=lambda version: version.effective_from)
