"""学分登记: hours attended turn into credits by the province's rule for the level and program; entries
go draft → submitted → approved (or rejected) by the province; a teacher's transcript and the county's
summary per school and year."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import (
    Attendance,
    CreditEntry,
    Enrollment,
    Project,
    School,
    Setting,
    Teacher,
    TrainingSession,
)
from desktop.domain.audit import AuditAction
from desktop.domain.credits import CreditGrant, check_credit_transition, credits_for, editable
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.io.xlsx_writer import write_xlsx
from desktop.services import access, audit
from desktop.services.roster import normalise_query, search_condition
from desktop.services.selection import find_teacher
from guopei_common.credit_rules import CreditPolicy, CreditRule, CreditRuleVersion, in_force
from guopei_common.vocab import CreditStatus, EnrollmentStatus, Program, SessionFormat, TrainingLevel

POLICY_SETTING = settings.CREDIT_POLICY.key  # the county's own rule, until the province sends versions
VERSIONS_SETTING = settings.CREDIT_RULE_VERSIONS.key  # the province's, as sync last received them


def credit_policy(session: Session) -> CreditPolicy:
    setting = session.get(Setting, POLICY_SETTING)
    return CreditPolicy.from_dict(setting.value) if setting else CreditPolicy()


def set_credit_policy(session: Session, policy: CreditPolicy) -> None:
    access.require(session, Permission.POLICY)
    setting = session.get(Setting, POLICY_SETTING)
    if setting is None:
        session.add(Setting(key=POLICY_SETTING, value=policy.to_dict()))
    else:
        setting.value = policy.to_dict()
    audit.record(session, AuditAction.POLICY, detail={"setting": "学分折算规则", "value": policy.to_dict()})


def grant_for(session: Session, enrollment: Enrollment, project: Project) -> CreditGrant:
    """Credits for the hours this enrollment attended, face-to-face and online counted apart."""
    hours = dict(
        session.execute(
            select(TrainingSession.format, func.coalesce(func.sum(Attendance.hours), 0.0))
            .join(TrainingSession, Attendance.session_id == TrainingSession.id)
            .where(Attendance.enrollment_id == enrollment.id, Attendance.deleted.is_(False))
            .group_by(TrainingSession.format)
        ).all()
    )
    rule, version = rule_for_project(session, project)
    grant = credits_for(
        rule,
        face_to_face_hours=float(hours.get(SessionFormat.FACE_TO_FACE.value, 0.0)),
        online_hours=float(hours.get(SessionFormat.ONLINE.value, 0.0)),
    )
    return replace(grant, explanation=f"{grant.explanation}（{version}）")


def rule_versions(session: Session) -> list[CreditRuleVersion]:
    setting = session.get(Setting, VERSIONS_SETTING)
    return [CreditRuleVersion.from_dict(value) for value in setting.value] if setting else []


def set_rule_versions(session: Session, versions: list[CreditRuleVersion]) -> None:
    """The province's versions as the sync received them (the province's word: no permission asked)."""
    values = [version.to_dict() for version in versions]
    setting = session.get(Setting, VERSIONS_SETTING)
    if setting is None:
        session.add(Setting(key=VERSIONS_SETTING, value=values))
    else:
        setting.value = values


@dataclass(frozen=True)
class RuleTable:
    """One set of credit rules as the app shows it, read-only: where it comes from and its lines."""

    source: str
    effective_from: dt.date | None
    lines: list[tuple[str, str]]  # (what it applies to, the rule in words)
    in_force: bool  # the one a project ending today is credited by


def rule_tables(session: Session, *, today: dt.date) -> list[RuleTable]:
    """The province's versions, oldest first, then the county's own rule (used while none applies)."""
    versions = rule_versions(session)
    current = in_force(versions, today)
    tables = [
        RuleTable(f"省学分规则 {v.version}", v.effective_from, v.policy.lines(), v is current)
        for v in versions
    ]
    tables.append(
        RuleTable("本县学分规则（无省规则适用时）", None, credit_policy(session).lines(), current is None)
    )
    return tables


def rule_for_project(session: Session, project: Project) -> tuple[CreditRule, str]:
    """The rule for the project's program in force on its end date, and which one it is: the province's
    version that applies then, else the county's own setting."""
    version = in_force(rule_versions(session), project.end_date)
    if version is not None:
        return version.policy.rule_for(Program(project.program)), (
            f"省学分规则 {version.version}，{version.effective_from:%Y-%m-%d} 起"
        )
    return credit_policy(session).rule_for(Program(project.program)), "本县学分规则"


def generate_for_project(session: Session, project_id: str) -> int:
    """A draft entry for every completed trainee of the project that has none yet."""
    access.require(session, Permission.CREDITS)
    project = session.get_one(Project, project_id)
    have = set(
        session.scalars(
            select(CreditEntry.enrollment_id).where(
                CreditEntry.deleted.is_(False), CreditEntry.enrollment_id.isnot(None)
            )
        )
    )
    created = 0
    for enrollment in session.scalars(
        select(Enrollment).where(
            Enrollment.project_id == project_id, Enrollment.status == EnrollmentStatus.COMPLETED.value
        )
    ):
        if enrollment.id in have:
            continue
        grant = grant_for(session, enrollment, project)
        session.add(
            CreditEntry(
                teacher_id=enrollment.teacher_id,
                enrollment_id=enrollment.id,
                year=project.end_date.year,
                level=Program(project.program).level.value,
                hours=grant.hours,
                credits=grant.credits,
                description=f"{project.name}：{grant.explanation}",
                status=CreditStatus.DRAFT.value,
            )
        )
        created += 1
    session.flush()
    return created


def add_manual(
    session: Session,
    *,
    teacher_id: str,
    year: int,
    level: TrainingLevel,
    hours: float,
    credits: float,
    reason: str,
) -> str:
    """Other recognised training (e.g. a provincial online course taken on one's own), with why."""
    access.require(session, Permission.CREDITS)
    if not reason.strip():
        raise UserInputError("手工登记学分须写明培训内容和认定依据")
    if hours <= 0 or credits < 0:
        raise UserInputError("学时应大于 0，学分不能为负数")
    entry = CreditEntry(
        teacher_id=teacher_id,
        year=year,
        level=level.value,
        hours=hours,
        credits=credits,
        description=f"手工登记：{reason.strip()}",
        status=CreditStatus.DRAFT.value,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        AuditAction.CREDIT,
        teacher_id=teacher_id,
        entity=CreditEntry.__sync_entity__,
        row_id=entry.id,
        detail={"year": year, "reason": reason.strip()},
    )
    return entry.id


def add_manual_for(
    session: Session, *, id_number: str, year: int, level: TrainingLevel, hours: float, reason: str
) -> str:
    """A manual entry for the teacher with this ID number, its credits from the county's default rule."""
    teacher = find_teacher(session, id_number)
    grant = credits_for(credit_policy(session).default, face_to_face_hours=hours, online_hours=0)
    return add_manual(
        session,
        teacher_id=teacher.id,
        year=year,
        level=level,
        hours=hours,
        credits=grant.credits,
        reason=reason,
    )


def change_status(
    session: Session, entry_ids: Sequence[str], status: CreditStatus, *, reason: str = ""
) -> int:
    """Move entries along draft → submitted → approved/rejected (rejected → draft to correct)."""
    access.require(session, Permission.CREDITS)
    for entry_id in entry_ids:
        entry = session.get_one(CreditEntry, entry_id)
        check_credit_transition(CreditStatus(entry.status), status, reason)
        entry.status = status.value
        if reason.strip():
            entry.status_reason = reason.strip()
    session.flush()
    return len(entry_ids)


def edit_entry(session: Session, entry_id: str, *, hours: float, credits: float) -> None:
    access.require(session, Permission.CREDITS)
    entry = session.get_one(CreditEntry, entry_id)
    if not editable(CreditStatus(entry.status)):
        raise UserInputError(f"学分已{CreditStatus(entry.status).label}，不能在本地修改")
    entry.hours, entry.credits = hours, credits


@dataclass(frozen=True)
class CreditRow:
    id: str
    teacher_id: str
    name: str
    school: str
    year: int
    level: str
    hours: float
    credits: float
    status: str
    description: str


def entries(
    session: Session, *, year: int | None = None, status: CreditStatus | None = None, search: str = ""
) -> list[CreditRow]:
    """The ledger, newest year first; `search`: a name, pinyin initials, digits of the ID number (its
    last four, say) or part of a school's name."""
    access.require(session, Permission.VIEW)
    query = (
        select(CreditEntry, Teacher.name, School.name)
        .join(Teacher, CreditEntry.teacher_id == Teacher.id)
        .join(School, Teacher.school_id == School.id)
        .where(CreditEntry.deleted.is_(False))
        .order_by(CreditEntry.year.desc(), Teacher.name_sort)
    )
    if year is not None:
        query = query.where(CreditEntry.year == year)
    if status is not None:
        query = query.where(CreditEntry.status == status.value)
    if (teachers := search_condition(search)) is not None:
        query = query.where(or_(teachers, School.name.contains(normalise_query(search), autoescape=True)))
    return [
        CreditRow(
            e.id, e.teacher_id, name, school, e.year, e.level, e.hours, e.credits, e.status, e.description
        )
        for e, name, school in session.execute(query)
    ]


def county_summary_xlsx(session: Session, year: int, out: Path) -> int:
    """Per school: teachers credited, hours and credits per level, approved entries only."""
    levels = list(TrainingLevel)
    totals: dict[str, dict[str, list[float]]] = defaultdict(
        lambda: {level.value: [0.0, 0.0] for level in levels}
    )
    people: dict[str, set[str]] = defaultdict(set)
    rows = session.execute(
        select(School.name, CreditEntry.teacher_id, CreditEntry.level, CreditEntry.hours, CreditEntry.credits)
        .join(Teacher, CreditEntry.teacher_id == Teacher.id)
        .join(School, Teacher.school_id == School.id)
        .where(
            CreditEntry.year == year,
            CreditEntry.deleted.is_(False),
            CreditEntry.status == CreditStatus.APPROVED.value,
        )
    )
    for school, teacher_id, level, hours, credits in rows:
        totals[school][level][0] += hours
        totals[school][level][1] += credits
        people[school].add(teacher_id)
    headers = ["学校/单位", "获得学分人数"]
    for level in levels:
        headers += [f"{level.label}学时", f"{level.label}学分"]
    headers += ["合计学时", "合计学分"]
    lines = []
    for school in sorted(totals):
        line: list[object] = [school, len(people[school])]
        for level in levels:
            hours, credits = totals[school][level.value]
            line += [round(hours, 1), round(credits, 1)]
        line += [
            round(sum(v[0] for v in totals[school].values()), 1),
            round(sum(v[1] for v in totals[school].values()), 1),
        ]
        lines.append(line)
    return write_xlsx(
        out, sheet_title=f"{year}年学分汇总", headers=headers, rows=lines, widths=[24] + [12] * 13
    )


def submit_year(session: Session, year: int) -> int:
    """Submit every draft entry of the year to the province."""
    access.require(session, Permission.CREDITS)
    ids = [row.id for row in entries(session, year=year, status=CreditStatus.DRAFT)]
    submitted = change_status(session, ids, CreditStatus.SUBMITTED)
    audit.record(session, AuditAction.CREDIT_SUBMIT, detail={"year": year, "count": submitted})
    return submitted
