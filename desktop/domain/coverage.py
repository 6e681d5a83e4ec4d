"""Coverage (三.): “实现贫困地区乡村教师、校园长培训全覆盖”, the figure the province's performance
evaluation reads.

The target group is a rural teacher or head (校长/园长 and their deputies) at a school in a poverty
area; such a person is covered once they have completed a 国培 or 省培 project that ended in the current
training cycle. 校本研修 and county or city training do not cover anyone. The poverty designations a
school may carry are data, each with the document that defines it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from guopei_common.training_cycle import TrainingCycle
from guopei_common.vocab import Program, TeacherRole


@dataclass(frozen=True)
class SchoolFlag:
    column: str  # School's column
    label: str
    poverty: bool  # counts as 贫困地区 for the coverage goal
    source: str  # the document that designates the areas


SCHOOL_FLAGS = (
    SchoolFlag(
        "in_sanqu_sanzhou",
        "三区三州",
        True,
        "中共中央办公厅、国务院办公厅《关于支持深度贫困地区脱贫攻坚的实施意见》（厅字〔2017〕41号）",
    ),
    SchoolFlag(
        "in_contiguous_poverty_area",
        "集中连片特困地区",
        True,
        "《中国农村扶贫开发纲要（2011—2020年）》（中发〔2011〕10号）",
    ),
    SchoolFlag(
        "in_former_poverty_county",
        "脱贫县",
        True,
        "《中共中央 国务院关于实现巩固拓展脱贫攻坚成果同乡村振兴有效衔接的意见》（2020年12月）",
    ),
    SchoolFlag(
        "in_key_assistance_county",
        "国家乡村振兴重点帮扶县",
        True,
        "中央农村工作领导小组办公室公布的国家乡村振兴重点帮扶县名单（2021年）",
    ),
    SchoolFlag(
        "in_ethnic_area",
        "民族地区",
        False,  # the notice asks for national-language training there (三.), not for coverage
        "《中华人民共和国民族区域自治法》规定的民族自治地方",
    ),
)
# Completions that cover a teacher: the national and provincial plans.
COVERING_PROGRAMS = frozenset(
    {
        Program.GUOPEI_DEMONSTRATION,
        Program.GUOPEI_MIDWEST,
        Program.GUOPEI_KINDERGARTEN,
        Program.PROVINCIAL,
    }
)


def in_target_group(*, rural: bool, poverty_area: bool, role: str) -> bool:
    """A rural teacher or head of a school in a poverty area (roles outside the vocabulary: no)."""
    return rural and poverty_area and role in {member.value for member in TeacherRole}


def covered(completions: Iterable[tuple[Program, dt.date]], *, cycle: TrainingCycle, today: dt.date) -> bool:
    """Whether one of the (program, end date) completions covers the teacher in today's cycle."""
    first, last = cycle.years_of(today.year)
    return any(program in COVERING_PROGRAMS and first <= end.year <= last for program, end in completions)
