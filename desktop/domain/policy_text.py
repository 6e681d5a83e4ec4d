"""The sentences of the Ministry notice that the rules implement, word for word, with where they stand.

A refusal shows the rule it applies in the notice's own words, so that an administrator can answer a
teacher or a school with the text rather than with the software's paraphrase. A test checks every
quotation against the notice's text.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTICE = "教师厅〔2020〕1号"


@dataclass(frozen=True)
class Source:
    section: str  # e.g. "六"
    words: str  # the notice's sentence, verbatim

    def cite(self) -> str:
        return f"依据{NOTICE}（{self.section}）：“{self.words}”"


REPEAT = Source("六", "合理规定周期内教师参加“国培计划”的限制次数，杜绝重复培训。")
BAN = Source(
    "六",
    "将教师参培情况纳入培训诚信档案，无特殊情况未参训、被劝退、未结业的学员在三年内不得再参加“国培计划”。",
)
SELECTION = Source(
    "六", "健全教师参训数据库和储备库，根据项目条件精准遴选参训学员，对不符合参训条件的学员进行劝退。"
)
TIERS = Source("五", "继续加强责任明确、分工合理、分层递进的国家、省、市、县、校五级培训体系建设。")
PUBLICITY = Source(
    "六",
    "教育行政部门公布培训项目计划后，教师自愿报名参加培训，项目承担单位择优录取学员，教育行政部门审核公示。",
)
EPIDEMIC = Source("一", "疫情防控期间，各地各校一律不得组织教师线下集中面授培训。")
COVERAGE = Source(
    "三", "以“三区三州”等深度贫困地区、集中连片贫困地区为重点，实现贫困地区乡村教师、校园长培训全覆盖。"
)
COVERAGE_EVALUATION = Source(
    "三", "各省（市、区）贫困地区乡村教师校长培训全覆盖任务完成情况将纳入“国培计划”项目绩效评估指标体系。"
)
ETHNIC_LANGUAGE = Source("三", "加强民族地区教师的国家通用语言文字应用能力培训。")
CREDITS = Source(
    "六", "健全教师培训管理信息化平台，规范、精细管理教师培训学分，深化培训学分应用，激发教师参训动力。"
)
REPORT_TO_SCHOOLS = Source("六", "严格过程管理，开展学员培训成果应用考核，及时向学员选派单位通报参训情况。")

ALL = (
    REPEAT,
    BAN,
    SELECTION,
    TIERS,
    PUBLICITY,
    EPIDEMIC,
    COVERAGE,
    COVERAGE_EVALUATION,
    ETHNIC_LANGUAGE,
    CREDITS,
    REPORT_TO_SCHOOLS,
)
