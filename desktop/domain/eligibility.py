"""Who may take part in a project: the rules of 教师厅〔2020〕1号 (三, 四, 六) as a pure function.

Every decision carries all of its reasons, met and unmet, so the UI and the exports can show why.
A refusal can be overridden only by an administrator with a written reason, which the caller keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from desktop.domain.codes import code_table
from guopei_common.conditions import Conditions
from guopei_common.vocab import EnrollmentStatus, Program, ProjectType, TeacherRole

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


@dataclass(frozen=True)
class Ban:
    """An integrity record (诚信档案) that bars the teacher from 国培 until `until` (exclusive)."""

    kind_label: str
    project_name: str
    until: dt.date


@dataclass(frozen=True)
class Policy:
    """Province-configurable limits (杜绝重复培训)."""

    guopei_limit: int = 1  # 国培 participations allowed …
    cycle_years: int = 3  # … per this many years


@dataclass(frozen=True)
class Reason:
    rule: str  # a stable key, e.g. "stage", "ban", "cycle"
    text: str  # Chinese, shown to people and exported
    met: bool


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
        return "不符合：" + "；".join(reason.text for reason in self.refusals)


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
                )
            )
        if not active_bans:
            reasons.append(Reason("ban", "无限制参加国培的诚信记录", True))
        window_start = years_before(project.start, policy.cycle_years)
        counted = [
            past
            for past in others
            if past.program.is_guopei and past.status in PARTICIPATION and past.start > window_start
        ]
        ok = len(counted) < policy.guopei_limit
        names = "、".join(past.project_name for past in counted)
        reasons.append(
            Reason(
                "cycle",
                f"近 {policy.cycle_years} 年参加国培 {len(counted)} 次"
                + ("" if ok else f"（{names}），已达上限 {policy.guopei_limit} 次"),
                ok,
            )
        )
    window_start = years_before(project.start, policy.cycle_years)
    same_type = [
        past
        for past in others
        if past.project_type == project.project_type
        and (past.status in ACTIVE or (past.status == EnrollmentStatus.COMPLETED and past.end > window_start))
    ]
    for past in same_type:
        state = "正在参加" if past.status in ACTIVE else "已完成"
        reasons.append(
            Reason(
                "same_type", f"{state}同类培训“{past.project_name}”（{past.end:%Y年}），不得重复培训", False
            )
        )
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
