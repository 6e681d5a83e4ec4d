"""The province's rules for counties besides the policy switches: participation limits of the levels
other than 国培 (国培's N-per-M stays with the switches), the versions of the credit rules, and the
training cycle. Stored on the county's policy row, served by `GET /v1/policy/rules`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from guopei_common.credit_rules import CreditRuleVersion, add_version
from guopei_common.protocol import LevelLimitWire, PolicyRulesResponse
from guopei_common.training_cycle import TrainingCycle
from guopei_common.vocab import TrainingLevel
from server.db import CountyPolicy
from server.province import _json, _now, counties_of


def parse_level_limit(text: str) -> tuple[TrainingLevel, LevelLimitWire]:
    """`provincial=1/3`: at most 1 participation per 3 years at that level (code or label)."""
    try:
        name, rule = text.split("=", 1)
        limit, years = (int(part) for part in rule.split("/", 1))
    except ValueError:
        raise ValueError(f"层级限制应写成 provincial=1/3（每 3 年至多 1 次），收到“{text}”") from None
    level = next((lv for lv in TrainingLevel if name.strip() in (lv.value, lv.label)), None)
    if level is None or level == TrainingLevel.NATIONAL:
        names = "、".join(lv.value for lv in TrainingLevel if lv != TrainingLevel.NATIONAL)
        raise ValueError(f"未知的层级“{name}”（国培用 --guopei-limit/--cycle-years；其他层级：{names}）")
    if limit < 1 or years < 1:
        raise ValueError("次数上限和周期年数应至少为 1")
    return level, LevelLimitWire(limit=limit, years=years)


def set_rules(
    engine: Engine,
    counties: Sequence[str] | None,
    *,
    level_limits: dict[TrainingLevel, LevelLimitWire] | None = None,
    credit_rules: CreditRuleVersion | None = None,
    training_cycle: TrainingCycle | None = None,
) -> list[str]:
    """Set the given rules for the counties: level limits merge into those set before, a credit rule
    version is added (or replaces the one of the same name), the cycle replaces the old one."""
    if level_limits is None and credit_rules is None and training_cycle is None:
        raise ValueError("没有要设置的规则")
    targets = counties_of(engine, counties)
    now = _now()
    with Session(engine) as session, session.begin():
        for county_code in targets:
            policy = session.get(CountyPolicy, county_code) or CountyPolicy(county_code=county_code)
            if level_limits:
                limits = json.loads(policy.level_limits or "{}")
                limits.update({level.value: rule.model_dump() for level, rule in level_limits.items()})
                policy.level_limits = _json(limits)
            if credit_rules is not None:
                versions = [CreditRuleVersion.from_dict(v) for v in json.loads(policy.credit_rules or "[]")]
                policy.credit_rules = _json([v.to_dict() for v in add_version(versions, credit_rules)])
            if training_cycle is not None:
                policy.training_cycle = _json(training_cycle.to_dict())
            policy.updated_at = now
            session.add(policy)
    return targets


def rules_for(engine: Engine, county_code: str) -> PolicyRulesResponse:
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        policy = session.get(CountyPolicy, county_code)
        if policy is None:
            return PolicyRulesResponse()
        return PolicyRulesResponse(
            level_limits=json.loads(policy.level_limits) if policy.level_limits else None,
            credit_rules=json.loads(policy.credit_rules) if policy.credit_rules else None,
            training_cycle=json.loads(policy.training_cycle) if policy.training_cycle else None,
            updated_at=policy.updated_at.isoformat(timespec="seconds") + "Z",
        )


def read_json_file(path: str, what: str) -> dict:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"无法读取{what}文件 {path}：{error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what}文件应是一个 JSON 对象")
    return value
