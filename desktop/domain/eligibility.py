"""Who may take part in a project: the rules of 教师厅〔2020〕1号 (三, 四, 六) as a pure function.

Every decision carries all of its reasons, met and unmet, so the UI and the exports can show why.
A refusal can be overridden only by an administrator with a written reason, which the caller keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from desktop.domain import policy_text
from desktop.domain.codes import code_table
from guopei_common.conditions import Conditions
from guopei_common.vocab import EnrollmentStatus, Program, ProjectType, TeacherRole, TrainingLevel

# Statuses that hold a place in a project (the seat is taken until the trainee leaves).
SEAT_HOLDING = frozenset(
    {
        EnrollmentStatus.ADMITTED,
        EnrollmentStatus.APPROVED,
        EnrollmentStatus.PUBLICISED,
        EnrollmentStatus.ATTENDING,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.NOT_COMPLETED,
    }
)
# Statuses during which a teacher is committed to a project's dates.
ACTIVE = frozenset(
    {
        EnrollmentStatus.APPLIED,
        EnrollmentStatus.ADMITTED,
        EnrollmentStatus.APPROVED,
        EnrollmentStatus.PUBLICISED,
        EnrollmentStatus.ATTENDING,
    }
)
# A 国培 participation that counts against the cycle limit (a special-reason withdrawal does not).
PARTICIPATION = ACTIVE | {
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.NOT_COMPLETED,
    EnrollmentStatus.DISMISSED,
    EnrollmentStatus.NO_SHOW,
}


@dataclass(frozen=True)
class ProjectFacts:
    id: str
    name: str
    program: Program
    project_type: ProjectType
    start: dt.date
    end: dt.date
    quota: int
    conditions: Conditions
    topic: str = ""  # 主题: what the training is about (心理健康教育, 新课标教学 …)


@dataclass(frozen=True)
class TeacherFacts:
    id: str
    name: str
    birth_date: dt.date
    stage: str
    subject: str
    role: str
    work_start_year: int | None
    rural: bool
    poverty_area: bool
    in_reserve_pool: bool
    active: bool  # 在职


@dataclass(frozen=True)
class PastEnrollment:
    project_id: str
    project_name: str
    program: Program
    project_type: ProjectType
    start: dt.date
    end: dt.date
    status: EnrollmentStatus
    topic: str = ""
    subjects: tuple[str, ...] = ()  # the project's 学科 condition


@dataclass(frozen=True)
class Ban:
    """An integrity record (诚信档案) that bars the teacher from 国培 until `until` (exclusive)."""

    kind_label: str
    project_name: str
    until: dt.date


@dataclass(frozen=True)
class LevelLimit:
    """At most `limit` participations at one level per `years` years."""

    limit: int
    years: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.years < 1:
            raise ValueError(f"参训次数上限和周期年数应至少为 1，收到 {self.limit} 次/{self.years} 年")


@dataclass(frozen=True)
class Policy:
    """The province's limits (杜绝重复培训): N 国培 participations per M years, and optionally the same
    for other levels. The window of the "same training" rule is the level's cycle, else M years."""

    guopei_limit: int = 1  # 国培 participations allowed …
    cycle_years: int = 3  # … per this many years
    # Limits of the other levels (省级, 地市级 …), as the province sets them; none by default.
    level_limits: dict[TrainingLevel, LevelLimit] = field(default_factory=dict)

    def limit_for(self, level: TrainingLevel) -> LevelLimit | None:
        if level == TrainingLevel.NATIONAL:
            return LevelLimit(self.guopei_limit, self.cycle_years)
        return self.level_limits.get(level)

    def window_years(self, level: TrainingLevel) -> int:
        limit = self.limit_for(level)
        return limit.years if limit is not None else self.cycle_years

    def to_dict(self) -> dict:
        return {
            "guopei_limit": self.guopei_limit,
            "cycle_years": self.cycle_years,
            "level_limits": {
                level.value: {"limit": rule.limit, "years": rule.years}
                for level, rule in self.level_limits.items()
            },
        }

    @classmethod
    def from_dict(cls, values: dict) -> Policy:
        # A level this release does not know comes from a newer province: skipped, as in CreditPolicy.
        levels = {level.value: level for level in TrainingLevel}
        return cls(
            guopei_limit=int(values.get("guopei_limit", 1)),
            cycle_years=int(values.get("cycle_years", 3)),
            level_limits={
                levels[code]: LevelLimit(int(rule["limit"]), int(rule["years"]))
                for code, rule in (values.get("level_limits") or {}).items()
                if code in levels and levels[code] != TrainingLevel.NATIONAL
            },
        )


@dataclass(frozen=True)
class Reason:
    rule: str  # a stable key, e.g. "stage", "ban", "cycle"
    text: str  # Chinese, shown to people and exported
    met: bool
    source: str = ""  # the rule in the notice's words (policy_text.Source.cite()), shown on a refusal

    def explained(self) -> str:
        return f"{self.text}（{self.source}）" if self.source and not self.met else self.text


@dataclass(frozen=True)
class Decision:
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return all(reason.met for reason in self.reasons)

    @property
    def refusals(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if not reason.met)

    def summary(self) -> str:
        if self.eligible:
            return "符合参训条件"
        sources = dict.fromkeys(reason.source for reason in self.refusals if reason.source)
        return (
            "不符合："
            + "；".join(reason.text for reason in self.refusals)
            + "".join(f"。{s}" for s in sources)
        )


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _labels(table: str, codes: tuple[str, ...]) -> str:
    table_ = code_table(table)
    return "、".join(table_.label(code) if table_.code_for(code) == code else code for code in codes)


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _condition_reasons(teacher: TeacherFacts, project: ProjectFacts) -> list[Reason]:
    c = project.conditions
    reasons: list[Reason] = []
    if c.stages:
        ok = teacher.stage in c.stages
        reasons.append(
            Reason("stage", f"学段{'符合' if ok else '不符'}（项目面向{_labels('stage', c.stages)}）", ok)
        )
    if c.subjects:
        ok = teacher.subject in c.subjects
        reasons.append(
            Reason(
                "subject", f"学科{'符合' if ok else '不符'}（项目面向{_labels('subject', c.subjects)}）", ok
            )
        )
    if c.roles:
        ok = teacher.role in c.roles
        wanted = "、".join(TeacherRole(role).label for role in c.roles)
        reasons.append(Reason("role", f"身份{'符合' if ok else '不符'}（项目面向{wanted}）", ok))
    if c.min_years is not None or c.max_years is not None:
        if teacher.work_start_year is None:
            reasons.append(Reason("years", "缺少参加工作年份，无法核对教龄要求", False))
        else:
            years = project.start.year - teacher.work_start_year
            low = c.min_years if c.min_years is not None else 0
            high = c.max_years if c.max_years is not None else 99
            ok = low <= years <= high
            reasons.append(
                Reason("years", f"教龄 {years} 年{'符合' if ok else '不符合'}要求（{low}–{high} 年）", ok)
            )
    if c.min_age is not None or c.max_age is not None:
        age = _age_on(teacher.birth_date, project.start)
        low = c.min_age if c.min_age is not None else 0
        high = c.max_age if c.max_age is not None else 200
        ok = low <= age <= high
        reasons.append(Reason("age", f"年龄 {age} 岁{'符合' if ok else '不符合'}要求（{low}–{high} 岁）", ok))
    if c.rural_only:
        reasons.append(
            Reason(
                "rural",
                "乡村学校教师" if teacher.rural else "项目仅面向乡村学校，该教师在城镇学校",
                teacher.rural,
            )
        )
    if c.poverty_area_only:
        ok = teacher.poverty_area
        reasons.append(Reason("poverty", "贫困地区学校" if ok else "项目仅面向贫困地区学校", ok))
    if c.reserve_pool_only:
        ok = teacher.in_reserve_pool
        reasons.append(
            Reason("reserve_pool", "已在储备库中" if ok else "项目仅从储备库遴选，该教师不在储备库", ok)
        )
    return reasons


def decide(
    teacher: TeacherFacts,
    project: ProjectFacts,
    *,
    history: tuple[PastEnrollment, ...],
    bans: tuple[Ban, ...],
    seats_taken: int,
    policy: Policy = Policy(),
) -> Decision:
    """Whether `teacher` may join `project`, with every reason. `history` holds the teacher's other
    enrollments (this project's own, if any, included); `seats_taken` counts this project's seats."""
    reasons: list[Reason] = []
    if not teacher.active:
        reasons.append(Reason("employment", "该教师已退休或调出", False))
    if any(past.project_id == project.id and past.status != EnrollmentStatus.WITHDRAWN for past in history):
        reasons.append(Reason("duplicate", "已报名本项目", False))
    reasons += _condition_reasons(teacher, project)

    others = [past for past in history if past.project_id != project.id]
    if project.program.is_guopei:
        active_bans = [ban for ban in bans if project.start < ban.until]
        for ban in active_bans:
            reasons.append(
                Reason(
                    "ban",
                    f"诚信档案：{ban.project_name}{ban.kind_label}，{ban.until:%Y年%m月%d日}前不得参加国培",
                    False,
                    policy_text.BAN.cite(),
                )
            )
        if not active_bans:
            reasons.append(Reason("ban", "无限制参加国培的诚信记录", True))
    reasons += _cycle_reasons(project, others, policy)
    reasons += _same_training_reasons(project, others, policy)
    overlapping = [
        past
        for past in others
        if past.status in ACTIVE and past.start <= project.end and project.start <= past.end
    ]
    for past in overlapping:
        reasons.append(
            Reason(
                "overlap",
                f"与“{past.project_name}”（{past.start:%m月%d日}–{past.end:%m月%d日}）时间冲突",
                False,
            )
        )
    full = seats_taken >= project.quota
    reasons.append(
        Reason(
            "quota",
            f"名额已满（{seats_taken}/{project.quota}）"
            if full
            else f"尚有名额（{seats_taken}/{project.quota}）",
            not full,
        )
    )
    return Decision(tuple(reasons))


def _cycle_reasons(project: ProjectFacts, others: list[PastEnrollment], policy: Policy) -> list[Reason]:
    """The province's N participations per M years at the project's level (国培 always has one)."""
    level = project.program.level
    limit = policy.limit_for(level)
    if limit is None:
        return []
    window_start = years_before(project.start, limit.years)
    counted = [
        past
        for past in others
        if past.program.level == level and past.status in PARTICIPATION and past.start > window_start
    ]
    ok = len(counted) < limit.limit
    what = "国培" if level == TrainingLevel.NATIONAL else f"{level.label}培训"
    text = f"近 {limit.years} 年参加{what} {len(counted)} 次"
    if not ok:
        names = "、".join(past.project_name for past in counted)
        text += f"（{names}），已达省定上限：每 {limit.years} 年至多 {limit.limit} 次"
    return [
        Reason(
            "cycle" if level == TrainingLevel.NATIONAL else "level_cycle",
            text,
            ok,
            f"省级政策“每 {limit.years} 年至多参加{what} {limit.limit} 次”，{policy_text.REPEAT.cite()}",
        )
    ]


def normalise_topic(topic: str) -> str:
    return "".join(topic.split())


def same_training(project: ProjectFacts, past: PastEnrollment) -> bool:
    """同类培训: the same level, the same type and the same topic (and, where both name subjects, a
    shared subject). Another level is never a repeat: the notice's 分层递进 runs county → city →
    province → nation. A project without a topic cannot be told apart from another of its level and
    type, so it counts as the same."""
    if past.program.level != project.program.level or past.project_type != project.project_type:
        return False
    mine, theirs = normalise_topic(project.topic), normalise_topic(past.topic)
    if mine and theirs and mine != theirs:
        return False
    subjects = project.conditions.subjects
    return not (subjects and past.subjects and not set(subjects) & set(past.subjects))


def _same_training_reasons(
    project: ProjectFacts, others: list[PastEnrollment], policy: Policy
) -> list[Reason]:
    window_start = years_before(project.start, policy.window_years(project.program.level))
    reasons = []
    for past in others:
        if not same_training(project, past):
            continue
        if not (
            past.status in ACTIVE or (past.status == EnrollmentStatus.COMPLETED and past.end > window_start)
        ):
            continue
        state = "正在参加" if past.status in ACTIVE else "已完成"
        topic = f"主题“{past.topic}”" if past.topic else "未填写主题"
        reasons.append(
            Reason(
                "same_training",
                f"{state}同级同类同主题的培训“{past.project_name}”（{past.end:%Y年}，{topic}），不得重复培训",
                False,
                policy_text.REPEAT.cite(),
            )
        )
    return reasons
