"""结业: propose completed / not completed for every trainee of a project with its reasons, then an
administrator confirms, overrides with a written reason, or dismisses.

Confirmation writes the Completion row with its reasons and moves the enrollment (via the two-way
selection's transitions), so a confirmed non-completion in 国培 writes the integrity record that the
eligibility engine then reads. It is refused until the project's last session is over, and the
proposal counts only sessions that have ended, so that a running project never fails its trainees for
sessions not yet held. A decision this PC has not yet synced can be taken back (`undo`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import (
    Completion,
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    OutboxEntry,
    Project,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.audit import AuditAction
from desktop.domain.completion import CompletionRule, Proposal, TraineeRecord, check_decidable, propose
from desktop.domain.enrollment_flow import INTEGRITY
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, attendance_summary, audit, selection
from guopei_common.vocab import CompletionOutcome, EnrollmentStatus, IntegrityKind, Program


@dataclass(frozen=True)
class CompletionLine:
    enrollment_id: str
    name: str
    school: str
    class_name: str
    status: str
    proposal: Proposal
    decided: str | None  # the confirmed outcome, if any


def rule_of(project: Project) -> CompletionRule:
    return CompletionRule.from_dict(project.completion_rule or {})


def last_session_end(session: Session, project_id: str) -> dt.datetime:
    """When the project's last session ends; without sessions, the evening of its end date."""
    last = session.execute(
        select(TrainingSession.date, TrainingSession.end_time)
        .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
        .where(
            TrainingClass.project_id == project_id,
            TrainingClass.deleted.is_(False),
            TrainingSession.deleted.is_(False),
        )
        .order_by(TrainingSession.date.desc(), TrainingSession.end_time.desc())
        .limit(1)
    ).first()
    if last is None:
        return dt.datetime.combine(session.get_one(Project, project_id).end_date, dt.time(23, 59))
    return dt.datetime.combine(*last)


def proposals(session: Session, project_id: str, *, now: dt.datetime) -> list[CompletionLine]:
    """A proposal for every trainee still in the project (attending, or already decided), measured
    against the sessions ended by `now`: on a running project, sessions not yet held are no absence."""
    project = session.get_one(Project, project_id)
    rule = rule_of(project)
    summaries = attendance_summary.project_summary(session, project_id, today=now.date(), ended_by=now)
    enrollments = {
        e.id: e for e in session.scalars(select(Enrollment).where(Enrollment.project_id == project_id))
    }
    decided = dict(
        session.execute(
            select(Completion.enrollment_id, Completion.outcome).where(
                Completion.enrollment_id.in_(list(enrollments)), Completion.deleted.is_(False)
            )
        ).all()
    )
    lines = []
    for summary in summaries:
        enrollment = enrollments[summary.enrollment_id]
        if enrollment.status not in (
            EnrollmentStatus.ATTENDING.value,
            EnrollmentStatus.COMPLETED.value,
            EnrollmentStatus.NOT_COMPLETED.value,
        ):
            continue
        record = TraineeRecord(
            hours_scheduled=summary.hours_held,
            hours_attended=summary.hours_attended,
            sessions_held=summary.sessions_held,
            sessions_absent=summary.absences + summary.excused,
            assessment_passed=enrollment.assessment_passed,
            outcome_submitted=enrollment.outcome_submitted,
            hours_lost_late_early=summary.hours_lost_late_early,
        )
        lines.append(
            CompletionLine(
                enrollment.id,
                summary.name,
                summary.school,
                summary.class_name,
                enrollment.status,
                propose(rule, record),
                decided.get(enrollment.id),
            )
        )
    return lines


def record_assessment(
    session: Session,
    enrollment_ids: Sequence[str],
    *,
    passed: bool | None = None,
    outcome_submitted: bool | None = None,
) -> None:
    access.require(session, Permission.COMPLETE)
    for enrollment_id in enrollment_ids:
        enrollment = session.get_one(Enrollment, enrollment_id)
        if passed is not None:
            enrollment.assessment_passed = passed
        if outcome_submitted is not None:
            enrollment.outcome_submitted = outcome_submitted


@dataclass(frozen=True)
class DecisionPlan:
    """What confirming would do, said to the administrator before anything is written."""

    completed: int
    not_completed: int
    integrity_records: int

    def text(self) -> str:
        lines = [
            f"将确认 {self.completed + self.not_completed} 人的结业结论："
            f"结业 {self.completed} 人，未结业 {self.not_completed} 人。"
        ]
        if self.integrity_records:
            lines.append(f"将为 {self.integrity_records} 人写入诚信档案，三年内不得参加国培。")
        elif self.not_completed:
            lines.append("未结业的原因将记入状态历史，并告知选派学校。")
        lines.append("同步到省级平台后不能在本机撤销。")
        return "\n".join(lines)


def _decisions(
    session: Session,
    project_id: str,
    enrollment_ids: Sequence[str],
    *,
    now: dt.datetime,
    override: CompletionOutcome | None,
    override_reason: str,
) -> list[tuple[CompletionLine, CompletionOutcome]]:
    """The decision for each trainee, after every check that must pass before anything is written."""
    check_decidable(last_session_end=last_session_end(session, project_id), now=now)
    if override is not None and not override_reason.strip():
        raise UserInputError("改变系统建议的结业结论，须填写理由")
    by_id = {line.enrollment_id: line for line in proposals(session, project_id, now=now)}
    decisions = []
    for enrollment_id in enrollment_ids:
        line = by_id.get(enrollment_id)
        if line is None:
            raise UserInputError("所选学员不在参训中，不能确认结业")
        if line.status != EnrollmentStatus.ATTENDING.value:
            raise UserInputError(f"{line.name}的结业结论已确认（{EnrollmentStatus(line.status).label}）")
        decisions.append((line, override or line.proposal.outcome))
    return decisions


def plan(
    session: Session,
    project_id: str,
    enrollment_ids: Sequence[str],
    *,
    now: dt.datetime,
    override: CompletionOutcome | None = None,
    override_reason: str = "",
) -> DecisionPlan:
    """What `confirm` with the same arguments would write; raises what it would raise."""
    decisions = _decisions(
        session, project_id, enrollment_ids, now=now, override=override, override_reason=override_reason
    )
    failed = sum(1 for _line, outcome in decisions if outcome == CompletionOutcome.NOT_COMPLETED)
    guopei = Program(session.get_one(Project, project_id).program).is_guopei
    writes_record = guopei and EnrollmentStatus.NOT_COMPLETED in INTEGRITY
    return DecisionPlan(len(decisions) - failed, failed, failed if writes_record else 0)


def confirm(
    session: Session,
    project_id: str,
    enrollment_ids: Sequence[str],
    *,
    at: dt.datetime,
    decided_by: str | None = None,
    override: CompletionOutcome | None = None,
    override_reason: str = "",
) -> int:
    """Confirm the proposals of these trainees (or, with `override`, decide otherwise for a written
    reason), as at `at`, which must be after the project's last session. All or nothing, in the
    caller's transaction."""
    access.require(session, Permission.COMPLETE)
    decisions = _decisions(
        session, project_id, enrollment_ids, now=at, override=override, override_reason=override_reason
    )
    for line, outcome in decisions:
        reasons = [reason.text for reason in line.proposal.reasons]
        if override is not None:
            reasons.append(f"管理员改判为“{outcome.label}”：{override_reason.strip()}")
        # A decision taken back before it was synced left its row as a tombstone: one per enrollment.
        row = session.scalar(select(Completion).where(Completion.enrollment_id == line.enrollment_id))
        if row is None:
            row = Completion(enrollment_id=line.enrollment_id)
            session.add(row)
        row.deleted = False
        row.outcome = outcome.value
        row.reasons = reasons
        row.decided_at = at
        row.decided_by = access.actor(session, decided_by)
        row.override_reason = override_reason.strip()
        status = (
            EnrollmentStatus.COMPLETED
            if outcome == CompletionOutcome.COMPLETED
            else EnrollmentStatus.NOT_COMPLETED
        )
        # The status history keeps why a trainee did not complete (it is shown to the sending school).
        unmet = "；".join(reason.text for reason in line.proposal.unmet)
        reason = override_reason.strip() if override is not None else unmet
        session.flush()
        audit.record(
            session,
            AuditAction.COMPLETION,
            teacher_id=session.get_one(Enrollment, line.enrollment_id).teacher_id,
            entity=Completion.__sync_entity__,
            row_id=row.id,
            detail={"outcome": outcome.label, **({"reason": override_reason.strip()} if override else {})},
        )
        selection.advance(session, [line.enrollment_id], status, actor=decided_by, at=at, reason=reason)
    session.flush()
    return len(decisions)


def undo(
    session: Session, enrollment_ids: Sequence[str], *, at: dt.datetime, actor: str | None = None
) -> int:
    """Take back completion decisions that have not left this PC (their change is still in the outbox):
    the decision and its integrity record become tombstones, the trainee is 参训中 again. Once synced,
    the province may already have acted on it (a ban seen by other counties), so it is refused."""
    access.require(session, Permission.COMPLETE)
    for enrollment_id in enrollment_ids:
        enrollment = session.get_one(Enrollment, enrollment_id)
        name = session.get_one(Teacher, enrollment.teacher_id).name
        decision = session.scalar(
            select(Completion).where(Completion.enrollment_id == enrollment_id, Completion.deleted.is_(False))
        )
        if decision is None:
            raise UserInputError(f"{name}还没有确认的结业结论，无需撤销")
        unsent = session.scalar(
            select(OutboxEntry.seq)
            .where(OutboxEntry.entity == Completion.__sync_entity__, OutboxEntry.row_id == decision.id)
            .limit(1)
        )
        if unsent is None:
            raise UserInputError(
                f"{name}的结业结论已同步到省级平台，不能在本机撤销；如需更正，请联系省级平台管理员"
            )
        decision.deleted = True
        for record in session.scalars(
            select(IntegrityRecord).where(
                IntegrityRecord.enrollment_id == enrollment_id,
                IntegrityRecord.kind == IntegrityKind.NOT_COMPLETED.value,
                IntegrityRecord.deleted.is_(False),
            )
        ):
            record.deleted = True
        session.add(
            EnrollmentEvent(
                enrollment_id=enrollment_id,
                from_status=enrollment.status,
                to_status=EnrollmentStatus.ATTENDING.value,
                at=at,
                actor=access.actor(session, actor),
                reason="撤销尚未同步的结业结论",
            )
        )
        audit.record(
            session,
            AuditAction.COMPLETION_UNDO,
            teacher_id=enrollment.teacher_id,
            entity=Completion.__sync_entity__,
            row_id=decision.id,
        )
        enrollment.status = EnrollmentStatus.ATTENDING.value
        enrollment.status_reason = ""
    session.flush()
    return len(enrollment_ids)
