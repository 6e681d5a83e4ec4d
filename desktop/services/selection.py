"""Two-way selection (双向选择) and precise selection (精准遴选) over the database.

Every way a teacher enters a project goes through `enroll`, which asks the eligibility engine; a
refusal can be overridden only with an administrator's written reason, which is kept on the
enrollment and in its history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import (
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    Project,
    ReservePoolEntry,
    School,
    Setting,
    Teacher,
    TrainingClass,
)
from desktop.domain import enrollment_flow
from desktop.domain.audit import AuditAction
from desktop.domain.coverage import covered, in_target_group
from desktop.domain.eligibility import (
    SEAT_HOLDING,
    Ban,
    Conditions,
    Decision,
    PastEnrollment,
    Policy,
    ProjectFacts,
    TeacherFacts,
    decide,
)
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, audit
from desktop.services.projects import set_publicity
from desktop.services.training_cycle import training_cycle
from guopei_common.idnumber import mask_id_number, normalize_id_number
from guopei_common.vocab import EmploymentStatus, EnrollmentStatus, IntegrityKind, Program, ProjectType

POLICY_SETTING = settings.SELECTION_POLICY.key  # {"guopei_limit": 1, "cycle_years": 3}, set by the province


class NotEligible(UserInputError):
    def __init__(self, teacher_name: str, decision: Decision) -> None:
        super().__init__(f"{teacher_name}：{decision.summary()}。如确需参训，须由管理员填写理由后破格报名。")
        self.decision = decision


def policy(session: Session) -> Policy:
    setting = session.get(Setting, POLICY_SETTING)
    return Policy.from_dict(setting.value) if setting else Policy()


def set_policy(session: Session, value: Policy) -> None:
    """The county's administrator sets the limit (before the province sends it): checked and audited."""
    access.require(session, Permission.POLICY)
    adopt_province_policy(session, value)
    audit.record(session, AuditAction.POLICY, detail={"setting": "国培参训限制", "value": value.to_dict()})


def adopt_province_policy(session: Session, value: Policy) -> None:
    """The province's limit, applied at a sync whoever is logged in: no local permission is asked and no
    local audit entry is written (the province decided it, and its own records say who)."""
    values = value.to_dict()
    setting = session.get(Setting, POLICY_SETTING)
    if setting is None:
        session.add(Setting(key=POLICY_SETTING, value=values))
    else:
        setting.value = values


def project_facts(project: Project) -> ProjectFacts:
    return ProjectFacts(
        id=project.id,
        name=project.name,
        program=Program(project.program),
        project_type=ProjectType(project.project_type),
        start=project.start_date,
        end=project.end_date,
        quota=project.quota,
        conditions=Conditions.from_dict(project.conditions or {}),
        topic=project.topic,
    )


def _in_pool(session: Session, teacher_ids: Sequence[str]) -> set[str]:
    return set(
        session.scalars(
            select(ReservePoolEntry.teacher_id).where(
                ReservePoolEntry.teacher_id.in_(teacher_ids),
                ReservePoolEntry.removed_on.is_(None),
                ReservePoolEntry.deleted.is_(False),
            )
        )
    )


def _teacher_facts(teacher: Teacher, school: School, pooled: bool) -> TeacherFacts:
    return TeacherFacts(
        id=teacher.id,
        name=teacher.name,
        birth_date=teacher.birth_date,
        stage=teacher.stage,
        subject=teacher.subject,
        role=teacher.role,
        work_start_year=teacher.work_start_year,
        rural=school.is_rural,
        poverty_area=school.in_poverty_area,
        in_reserve_pool=pooled,
        active=teacher.employment_status == EmploymentStatus.ACTIVE,
    )


def _histories(session: Session, teacher_ids: Sequence[str]) -> dict[str, list[PastEnrollment]]:
    histories: dict[str, list[PastEnrollment]] = {}
    for start in range(0, len(teacher_ids), 500):
        rows = session.execute(
            select(Enrollment.teacher_id, Enrollment.status, Project)
            .join(Project, Enrollment.project_id == Project.id)
            .where(Enrollment.teacher_id.in_(teacher_ids[start : start + 500]), Enrollment.deleted.is_(False))
        )
        for teacher_id, status, project in rows:
            histories.setdefault(teacher_id, []).append(
                PastEnrollment(
                    project.id,
                    project.name,
                    Program(project.program),
                    ProjectType(project.project_type),
                    project.start_date,
                    project.end_date,
                    EnrollmentStatus(status),
                    project.topic,
                    Conditions.from_dict(project.conditions or {}).subjects,
                )
            )
    return histories


def _bans(session: Session, teacher_ids: Sequence[str]) -> dict[str, list[Ban]]:
    bans: dict[str, list[Ban]] = {}
    for start in range(0, len(teacher_ids), 500):
        rows = session.execute(
            select(IntegrityRecord.teacher_id, IntegrityRecord.kind, IntegrityRecord.ban_until, Project.name)
            .join(Project, IntegrityRecord.project_id == Project.id)
            .where(
                IntegrityRecord.teacher_id.in_(teacher_ids[start : start + 500]),
                IntegrityRecord.deleted.is_(False),
            )
        )
        for teacher_id, kind, until, project_name in rows:
            bans.setdefault(teacher_id, []).append(Ban(IntegrityKind(kind).label, project_name, until))
    return bans


def seats_taken(session: Session, project_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(
                Enrollment.project_id == project_id,
                Enrollment.deleted.is_(False),
                Enrollment.status.in_([s.value for s in SEAT_HOLDING]),
            )
        )
        or 0
    )


def check_eligibility(session: Session, teacher_id: str, project_id: str) -> Decision:
    project = session.get_one(Project, project_id)
    return decisions_for(session, [teacher_id], project)[teacher_id]


def decisions_for(session: Session, teacher_ids: Sequence[str], project: Project) -> dict[str, Decision]:
    """The eligibility decision of each teacher for `project`, read in a few queries."""
    facts = project_facts(project)
    taken = seats_taken(session, project.id)
    rules = policy(session)
    pooled = _in_pool(session, teacher_ids) if facts.conditions.reserve_pool_only else set()
    histories = _histories(session, teacher_ids)
    bans = _bans(session, teacher_ids)
    decisions = {}
    for start in range(0, len(teacher_ids), 500):
        rows = session.execute(
            select(Teacher, School)
            .join(School, Teacher.school_id == School.id)
            .where(Teacher.id.in_(teacher_ids[start : start + 500]))
        )
        for teacher, school in rows:
            decisions[teacher.id] = decide(
                _teacher_facts(teacher, school, teacher.id in pooled),
                facts,
                history=tuple(histories.get(teacher.id, ())),
                bans=tuple(bans.get(teacher.id, ())),
                seats_taken=taken,
                policy=rules,
            )
    return decisions


def enroll(
    session: Session,
    *,
    teacher_id: str,
    project_id: str,
    at: dt.datetime,
    actor: str | None = None,
    override_reason: str = "",
) -> str:
    """报名: the teacher applies to the project. Refused (NotEligible) unless eligible or overridden."""
    access.require(session, Permission.SELECT)
    project = session.get_one(Project, project_id)
    teacher = session.get_one(Teacher, teacher_id)
    decision = decisions_for(session, [teacher_id], project)[teacher_id]
    duplicate = any(reason.rule == "duplicate" for reason in decision.refusals)
    if not decision.eligible and (duplicate or not override_reason.strip()):
        raise NotEligible(teacher.name, decision)
    if not decision.eligible:
        access.require(session, Permission.OVERRIDE)
    enrollment = Enrollment(
        teacher_id=teacher_id,
        project_id=project_id,
        sending_school_id=teacher.school_id,
        status=EnrollmentStatus.APPLIED.value,
        override_reason=override_reason.strip() if not decision.eligible else "",
        emergency_contact=teacher.emergency_contact,
        emergency_phone=teacher.emergency_phone,
    )
    session.add(enrollment)
    session.flush()
    note = f"破格报名：{override_reason.strip()}（{decision.summary()}）" if not decision.eligible else ""
    session.add(
        EnrollmentEvent(
            enrollment_id=enrollment.id,
            from_status="",
            to_status="applied",
            at=at,
            actor=access.actor(session, actor),
            reason=note,
        )
    )
    audit.record(
        session,
        AuditAction.OVERRIDE if note else AuditAction.ENROLL,
        teacher_id=teacher_id,
        entity=Enrollment.__sync_entity__,
        row_id=enrollment.id,
        detail={"project": project.name, **({"reason": note} if note else {})},
    )
    return enrollment.id


@dataclass(frozen=True)
class TransitionResult:
    changed: int
    integrity_records: int


def advance(
    session: Session,
    enrollment_ids: Sequence[str],
    to_status: EnrollmentStatus,
    *,
    at: dt.datetime,
    actor: str | None = None,
    reason: str = "",
) -> TransitionResult:
    """Move enrollments to `to_status`, all of them or none (the caller's transaction).

    Admission checks the quota; dismissal, no-show and non-completion in 国培 write the integrity
    record with its ban end."""
    access.require(session, Permission.SELECT)
    enrollments = [session.get_one(Enrollment, enrollment_id) for enrollment_id in enrollment_ids]
    records = 0
    for enrollment in enrollments:
        teacher = session.get_one(Teacher, enrollment.teacher_id)
        enrollment_flow.check_transition(teacher.name, EnrollmentStatus(enrollment.status), to_status, reason)
    if to_status == EnrollmentStatus.ADMITTED and enrollments:
        project = session.get_one(Project, enrollments[0].project_id)
        taken = seats_taken(session, project.id)
        if taken + len(enrollments) > project.quota:
            raise UserInputError(
                f"{project.name}名额 {project.quota} 人，已录取 {taken} 人，"
                f"本次最多还能录取 {max(project.quota - taken, 0)} 人（选了 {len(enrollments)} 人）"
            )
    if to_status == EnrollmentStatus.ATTENDING and enrollments:
        project = session.get_one(Project, enrollments[0].project_id)
        refusal = enrollment_flow.arrival_refusal(project.publicity_end, at.date())
        if refusal is not None:
            raise UserInputError(f"{project.name}：{refusal}")
    for enrollment in enrollments:
        session.add(
            EnrollmentEvent(
                enrollment_id=enrollment.id,
                from_status=enrollment.status,
                to_status=to_status.value,
                at=at,
                actor=access.actor(session, actor),
                reason=reason.strip(),
            )
        )
        audit.record(
            session,
            AuditAction.STATUS,
            teacher_id=enrollment.teacher_id,
            entity=Enrollment.__sync_entity__,
            row_id=enrollment.id,
            detail={
                "status": f"{EnrollmentStatus(enrollment.status).label}→{to_status.label}",
                "reason": reason,
            },
        )
        enrollment.status = to_status.value
        if reason.strip():
            enrollment.status_reason = reason.strip()
        kind = enrollment_flow.INTEGRITY.get(to_status)
        project = session.get_one(Project, enrollment.project_id)
        if kind is not None and Program(project.program).is_guopei:
            integrity = IntegrityRecord(
                teacher_id=enrollment.teacher_id,
                enrollment_id=enrollment.id,
                project_id=project.id,
                kind=kind.value,
                project_end=project.end_date,
                ban_until=enrollment_flow.ban_until(project.end_date),
                reason=reason.strip(),
            )
            session.add(integrity)
            session.flush()
            audit.record(
                session,
                AuditAction.INTEGRITY,
                teacher_id=enrollment.teacher_id,
                entity=IntegrityRecord.__sync_entity__,
                row_id=integrity.id,
                detail={"project": project.name, "status": kind.label, "reason": reason.strip()},
            )
            records += 1
    session.flush()
    return TransitionResult(len(enrollments), records)


@dataclass(frozen=True)
class Candidate:
    teacher_id: str
    name: str
    school_name: str
    township: str
    rural: bool
    poverty_area: bool
    role: str
    priority: bool  # ★ rural teacher or head at a poverty-area school, not covered this cycle (三.)
    last_training_end: dt.date | None
    decision: Decision


def candidates(
    session: Session, project_id: str, *, limit: int = 2000, today: dt.date | None = None
) -> list[Candidate]:
    """Eligible teachers first, ranked as section 三 asks: rural teachers and heads of poverty-area
    schools not yet covered (no 国培/省培 completion in the current cycle) come first, then those whose
    last training is longest ago."""
    project = session.get_one(Project, project_id)
    conditions = Conditions.from_dict(project.conditions or {})
    query = (
        select(Teacher.id)
        .join(School, Teacher.school_id == School.id)
        .where(Teacher.deleted.is_(False), Teacher.employment_status == EmploymentStatus.ACTIVE)
    )
    if conditions.stages:
        query = query.where(Teacher.stage.in_(conditions.stages))
    if conditions.subjects:
        query = query.where(Teacher.subject.in_(conditions.subjects))
    if conditions.roles:
        query = query.where(Teacher.role.in_(conditions.roles))
    if conditions.rural_only:
        query = query.where(School.is_rural.is_(True))
    ids = list(session.scalars(query))
    decisions = decisions_for(session, ids, project)
    histories = _histories(session, ids)
    cycle = training_cycle(session)
    today = today or dt.date.today()
    rows = [
        row
        for first in range(0, len(ids), 500)
        for row in session.execute(
            select(
                Teacher.id,
                Teacher.name,
                Teacher.role,
                School.name,
                School.township,
                School.is_rural,
                School.in_poverty_area,
            )
            .join(School, Teacher.school_id == School.id)
            .where(Teacher.id.in_(ids[first : first + 500]))
        )
    ]
    result = []
    for teacher_id, name, role, school_name, township, rural, poverty in rows:
        completed = [
            past
            for past in histories.get(teacher_id, ())
            if past.project_id != project_id and past.status == EnrollmentStatus.COMPLETED
        ]
        priority = in_target_group(rural=rural, poverty_area=poverty, role=role) and not covered(
            ((past.program, past.end) for past in completed), cycle=cycle, today=today
        )
        result.append(
            Candidate(
                teacher_id,
                name,
                school_name,
                township,
                rural,
                poverty,
                role,
                priority,
                max(past.end for past in completed) if completed else None,
                decisions[teacher_id],
            )
        )
    result.sort(
        key=lambda c: (
            not c.decision.eligible,
            not c.priority,
            c.last_training_end or dt.date.min,
            c.name,
        )
    )
    return result[:limit]


@dataclass(frozen=True)
class EnrollmentRow:
    id: str
    teacher_id: str
    name: str
    masked_id_number: str
    school_name: str
    class_name: str
    status: str
    status_reason: str
    override_reason: str


def enrollment_rows(session: Session, project_id: str) -> list[EnrollmentRow]:
    rows = session.execute(
        select(Enrollment, Teacher.name, Teacher.id_number, School.name, TrainingClass.name)
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .outerjoin(TrainingClass, Enrollment.class_id == TrainingClass.id)
        .where(Enrollment.project_id == project_id, Enrollment.deleted.is_(False))
        .order_by(Teacher.name_sort, Teacher.name)
    )
    return [
        EnrollmentRow(
            e.id,
            e.teacher_id,
            name,
            mask_id_number(id_number),
            school,
            class_name or "",
            e.status,
            e.status_reason,
            e.override_reason,
        )
        for e, name, id_number, school, class_name in rows
    ]


def enroll_all(
    session: Session,
    *,
    teacher_ids: Sequence[str],
    project_id: str,
    at: dt.datetime,
    actor: str | None = None,
    override_reason: str = "",
) -> int:
    """报名 several teachers at once, all of them or none; returns how many."""
    for teacher_id in teacher_ids:
        enroll(
            session,
            teacher_id=teacher_id,
            project_id=project_id,
            at=at,
            actor=actor,
            override_reason=override_reason,
        )
    return len(teacher_ids)


def publicise(
    session: Session, project_id: str, *, start: dt.date, days: int, at: dt.datetime, actor: str | None = None
) -> int:
    """公示: the project's publicity period from `start` for `days` days, and every approved trainee
    moves to publicised; returns how many."""
    set_publicity(session, project_id, start, start + dt.timedelta(days=days - 1))
    rows = enrollment_rows(session, project_id)
    approved = [r.id for r in rows if r.status == EnrollmentStatus.APPROVED.value]
    if not approved:
        raise UserInputError("没有“已审核”的学员可以公示：请先录取并审核通过")
    advance(session, approved, EnrollmentStatus.PUBLICISED, actor=actor, at=at)
    return len(approved)


def find_teacher(session: Session, id_number: str) -> Teacher:
    teacher = session.scalar(select(Teacher).where(Teacher.id_number == normalize_id_number(id_number)))
    if teacher is None:
        raise UserInputError(
            f"花名册中没有身份证号为 {mask_id_number(normalize_id_number(id_number))} 的教师"
        )
    return teacher


def find_project(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code.strip()))
    if project is None:
        raise UserInputError(f"没有编号为“{code}”的项目")
    return project
