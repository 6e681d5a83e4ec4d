"""Projects (培训项目), their classes (班级) and sessions (课次), and the epidemic-control switch.

Projects published by the province are read-only here; the county edits its own. While the province's
switch “疫情防控期间暂停线下集中培训” is on (一.), no face-to-face session can be scheduled and the
existing ones are flagged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import Enrollment, Project, Setting, TrainingClass, TrainingSession
from desktop.domain.audit import AuditAction
from desktop.domain.completion import CompletionRule
from desktop.domain.eligibility import SEAT_HOLDING
from desktop.domain.policy_text import EPIDEMIC
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, audit
from guopei_common.conditions import Conditions
from guopei_common.vocab import DeliveryMode, ProjectStatus, ProjectType, SessionFormat
from guopei_common.vocab import Program as ProgramCode

OFFLINE_SUSPENDED = settings.OFFLINE_TRAINING_SUSPENDED.key
STATUS_ORDER = list(ProjectStatus)


class ProjectReadOnly(UserInputError):
    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}”是省级平台发布的项目，本地只能查看，不能修改")


class FormInvalid(UserInputError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ProjectForm:
    code: str
    name: str
    program: str
    project_type: str
    mode: str
    hours: float
    credits: float
    start_date: dt.date
    end_date: dt.date
    quota: int
    institution: str = ""
    chief_expert: str = ""
    conditions: Conditions = field(default_factory=Conditions)
    topic: str = ""  # 主题: with level and type, which trainings are the same (杜绝重复培训)
    completion_rule: CompletionRule = field(default_factory=CompletionRule)


@dataclass(frozen=True)
class ProjectRow:
    id: str
    code: str
    name: str
    program: str
    project_type: str
    mode: str
    start_date: dt.date
    end_date: dt.date
    hours: float
    quota: int
    seats_taken: int
    applicants: int  # every application, admitted or not
    status: str
    owner: str


def offline_suspended(session: Session) -> bool:
    setting = session.get(Setting, OFFLINE_SUSPENDED)
    return bool(setting and setting.value)


def set_offline_suspended(session: Session, value: bool) -> None:
    """The county's administrator sets the switch (before the province sends it): checked and audited."""
    access.require(session, Permission.POLICY)
    adopt_province_offline_suspended(session, value)
    audit.record(
        session, AuditAction.POLICY, detail={"setting": "暂停线下集中培训", "value": "是" if value else "否"}
    )


def adopt_province_offline_suspended(session: Session, value: bool) -> None:
    """The province's switch, applied at a sync whoever is logged in: no local permission is asked and
    no local audit entry is written (the province decided it, and its own records say who)."""
    setting = session.get(Setting, OFFLINE_SUSPENDED)
    if setting is None:
        session.add(Setting(key=OFFLINE_SUSPENDED, value=value))
    else:
        setting.value = value


def project_rows(session: Session, *, year: int | None = None) -> list[ProjectRow]:
    access.require(session, Permission.VIEW)
    seats = (
        select(Enrollment.project_id, func.count().label("n"))
        .where(Enrollment.deleted.is_(False), Enrollment.status.in_([s.value for s in SEAT_HOLDING]))
        .group_by(Enrollment.project_id)
        .subquery()
    )
    # 报名: everyone who applied, whatever became of it since (admitted, refused, withdrawn …); counting
    # only those still waiting showed 0 beside 97/113 admitted.
    applied = (
        select(Enrollment.project_id, func.count().label("n"))
        .where(Enrollment.deleted.is_(False))
        .group_by(Enrollment.project_id)
        .subquery()
    )
    query = (
        select(Project, func.coalesce(seats.c.n, 0), func.coalesce(applied.c.n, 0))
        .outerjoin(seats, seats.c.project_id == Project.id)
        .outerjoin(applied, applied.c.project_id == Project.id)
        .where(Project.deleted.is_(False))
        .order_by(Project.start_date.desc(), Project.code)
    )
    if year is not None:
        query = query.where(func.strftime("%Y", Project.start_date) == str(year))
    return [
        ProjectRow(
            p.id,
            p.code,
            p.name,
            p.program,
            p.project_type,
            p.mode,
            p.start_date,
            p.end_date,
            p.hours,
            p.quota,
            taken,
            applicants,
            p.status,
            p.owner,
        )
        for p, taken, applicants in session.execute(query)
    ]


def _validate(session: Session, form: ProjectForm, *, except_id: str | None) -> None:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = "项目名称不能为空"
    if not form.code.strip():
        errors["code"] = "项目编号不能为空"
    else:
        other = session.scalar(select(Project.id).where(Project.code == form.code.strip()))
        if other is not None and other != except_id:
            errors["code"] = f"项目编号“{form.code}”已被使用"
    for key, enum in (("program", ProgramCode), ("project_type", ProjectType), ("mode", DeliveryMode)):
        if getattr(form, key) not in {member.value for member in enum}:
            errors[key] = f"无效的{key}：{getattr(form, key)}"
    if form.end_date < form.start_date:
        errors["end_date"] = "结束日期不能早于开始日期"
    if form.hours <= 0:
        errors["hours"] = "学时应大于 0"
    if form.credits < 0:
        errors["credits"] = "学分不能为负数"
    if form.quota <= 0:
        errors["quota"] = "名额应大于 0"
    if errors:
        raise FormInvalid(errors)


def _apply(project: Project, form: ProjectForm) -> None:
    project.code = form.code.strip()
    project.name = form.name.strip()
    project.program = form.program
    project.project_type = form.project_type
    project.mode = form.mode
    project.hours = form.hours
    project.credits = form.credits
    project.start_date = form.start_date
    project.end_date = form.end_date
    project.quota = form.quota
    project.institution = form.institution.strip()
    project.chief_expert = form.chief_expert.strip()
    project.conditions = form.conditions.to_dict()
    project.topic = form.topic.strip()
    project.completion_rule = form.completion_rule.to_dict()


def create_project(session: Session, form: ProjectForm, *, county_code: str) -> str:
    access.require(session, Permission.MANAGE_PROJECTS)
    _validate(session, form, except_id=None)
    _refuse_offline_while_suspended(session, form, was_offline=False)
    project = Project(owner="county", county_code=county_code, status=ProjectStatus.DRAFT.value)
    _apply(project, form)
    session.add(project)
    session.flush()
    return project.id


def editable_project(session: Session, project_id: str) -> Project:
    project = session.get_one(Project, project_id)
    if project.owner == "province":
        raise ProjectReadOnly(project.name)
    return project


def update_project(session: Session, project_id: str, form: ProjectForm) -> None:
    access.require(session, Permission.MANAGE_PROJECTS)
    project = editable_project(session, project_id)
    _validate(session, form, except_id=project_id)
    _refuse_offline_while_suspended(session, form, was_offline=project.mode == DeliveryMode.OFFLINE.value)
    _apply(project, form)


def form_of(session: Session, project_id: str) -> ProjectForm:
    p = session.get_one(Project, project_id)
    return ProjectForm(
        p.code,
        p.name,
        p.program,
        p.project_type,
        p.mode,
        p.hours,
        p.credits,
        p.start_date,
        p.end_date,
        p.quota,
        p.institution,
        p.chief_expert,
        Conditions.from_dict(p.conditions or {}),
        p.topic,
        CompletionRule.from_dict(p.completion_rule or {}),
    )


def _refuse_offline_while_suspended(session: Session, form: ProjectForm, *, was_offline: bool) -> None:
    """No new 线下 project while the province suspends face-to-face training (一.); a project that was
    already 线下 may still be edited (its sessions are flagged on the 课次 tab)."""
    if form.mode == DeliveryMode.OFFLINE.value and not was_offline and offline_suspended(session):
        raise FormInvalid({"mode": f"疫情防控期间暂停线下集中培训，项目只能线上或混合（{EPIDEMIC.cite()}）"})


def set_status(session: Session, project_id: str, status: ProjectStatus) -> None:
    """草稿→发布→报名中→进行中→已结束, one step forward at a time."""
    access.require(session, Permission.MANAGE_PROJECTS)
    project = editable_project(session, project_id)
    current = ProjectStatus(project.status)
    if STATUS_ORDER.index(status) != STATUS_ORDER.index(current) + 1:
        raise UserInputError(f"项目状态只能从“{current.label}”进到下一步，不能改为“{status.label}”")
    project.status = status.value


def set_publicity(session: Session, project_id: str, start: dt.date, end: dt.date) -> None:
    access.require(session, Permission.MANAGE_PROJECTS)
    if end < start:
        raise UserInputError("公示结束日期不能早于开始日期")
    project = session.get_one(Project, project_id)
    project.publicity_start, project.publicity_end = start, end


# --- classes and sessions -----------------------------------------------------------------------


def add_class(
    session: Session, project_id: str, *, name: str, class_teacher: str, venue: str, capacity: int
) -> str:
    access.require(session, Permission.MANAGE_PROJECTS)
    editable_project(session, project_id)
    if not name.strip():
        raise FormInvalid({"name": "班级名称不能为空"})
    if capacity <= 0:
        raise FormInvalid({"capacity": "容量应大于 0"})
    training_class = TrainingClass(
        project_id=project_id,
        name=name.strip(),
        class_teacher=class_teacher.strip(),
        venue=venue.strip(),
        capacity=capacity,
    )
    session.add(training_class)
    session.flush()
    return training_class.id


def schedule_sessions(
    session: Session,
    class_id: str,
    *,
    first_day: dt.date,
    start: dt.time,
    end: dt.time,
    hours: float,
    session_format: SessionFormat,
    weeks: int = 1,
    weekdays: tuple[int, ...] = (),
    title: str = "",
) -> list[str]:
    """Sessions on `first_day`, or weekly on `weekdays` (0 = Monday) for `weeks` weeks from it."""
    access.require(session, Permission.MANAGE_PROJECTS)
    training_class = session.get_one(TrainingClass, class_id)
    editable_project(session, training_class.project_id)
    if end <= start:
        raise FormInvalid({"end": "结束时间应晚于开始时间"})
    if hours <= 0:
        raise FormInvalid({"hours": "学时应大于 0"})
    if session_format == SessionFormat.FACE_TO_FACE and offline_suspended(session):
        raise UserInputError("省级平台已开启“疫情防控期间暂停线下集中培训”，现在不能安排面授课次，请改为线上")
    if weekdays:
        monday = first_day - dt.timedelta(days=first_day.weekday())
        days = [
            monday + dt.timedelta(weeks=week, days=weekday)
            for week in range(weeks)
            for weekday in sorted(weekdays)
            if monday + dt.timedelta(weeks=week, days=weekday) >= first_day
        ]
    else:
        days = [first_day]
    ids = []
    for number, day in enumerate(days, start=1):
        row = TrainingSession(
            class_id=class_id,
            title=f"{title or '课次'} {number}" if len(days) > 1 else (title or "课次"),
            date=day,
            start_time=start,
            end_time=end,
            hours=hours,
            format=session_format.value,
        )
        session.add(row)
        session.flush()
        ids.append(row.id)
    return ids


@dataclass(frozen=True)
class SessionRow:
    id: str
    class_name: str
    date: dt.date
    start: dt.time
    end: dt.time
    hours: float
    format: str
    title: str
    flagged: bool  # face-to-face while offline training is suspended


def session_rows(session: Session, project_id: str, *, today: dt.date) -> list[SessionRow]:
    suspended = offline_suspended(session)
    rows = session.execute(
        select(TrainingSession, TrainingClass.name)
        .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
        .where(TrainingClass.project_id == project_id, TrainingSession.deleted.is_(False))
        .order_by(TrainingSession.date, TrainingSession.start_time, TrainingClass.name)
    )
    return [
        SessionRow(
            s.id,
            class_name,
            s.date,
            s.start_time,
            s.end_time,
            s.hours,
            s.format,
            s.title,
            suspended and s.format == SessionFormat.FACE_TO_FACE and s.date >= today,
        )
        for s, class_name in rows
    ]


def class_rows(session: Session, project_id: str) -> list[tuple[str, str, str, str, int]]:
    """(id, name, class teacher, venue, capacity) of the project's classes."""
    return [
        (c.id, c.name, c.class_teacher, c.venue, c.capacity)
        for c in session.scalars(
            select(TrainingClass)
            .where(TrainingClass.project_id == project_id, TrainingClass.deleted.is_(False))
            .order_by(TrainingClass.name)
        )
    ]
