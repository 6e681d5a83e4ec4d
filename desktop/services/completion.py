"""结业: propose completed / not completed for every trainee of a project with its reasons, then an
administrator confirms, overrides with a written reason, or dismisses.

Confirmation writes the Completion row with its reasons and moves the enrollment (via the two-way
selection's transitions), so a confirmed non-completion in 国培 writes the integrity record that the
eligibility engine then reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Completion, Enrollment, Project
from desktop.domain.completion import CompletionRule, Proposal, TraineeRecord, propose
from desktop.domain.vocab import CompletionOutcome, EnrollmentStatus
from desktop.errors import UserInputError
from desktop.services import attendance_summary, selection


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


def proposals(session: Session, project_id: str, *, today: dt.date) -> list[CompletionLine]:
    """A proposal for every trainee still in the project (attending, or already decided)."""
    project = session.get_one(Project, project_id)
    rule = rule_of(project)
    summaries = attendance_summary.project_summary(session, project_id, today=today)
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
            hours_scheduled=summary.hours_scheduled,
            hours_attended=summary.hours_attended,
            sessions_held=summary.sessions_held,
            sessions_absent=summary.absences + summary.excused,
            assessment_passed=enrollment.assessment_passed,
            outcome_submitted=enrollment.outcome_submitted,
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
    for enrollment_id in enrollment_ids:
        enrollment = session.get_one(Enrollment, enrollment_id)
        if passed is not None:
            enrollment.assessment_passed = passed
        if outcome_submitted is not None:
            enrollment.outcome_submitted = outcome_submitted


def confirm(
    session: Session,
    project_id: str,
    enrollment_ids: Sequence[str],
    *,
    decided_by: str,
    at: dt.datetime,
    today: dt.date,
    override: CompletionOutcome | None = None,
    override_reason: str = "",
) -> int:
    """Confirm the proposals of these trainees (or, with `override`, decide otherwise for a written
    reason). All or nothing, in the caller's transaction."""
    if override is not None and not override_reason.strip():
        raise UserInputError("改变系统建议的结业结论，须填写理由")
    by_id = {line.enrollment_id: line for line in proposals(session, project_id, today=today)}
    for enrollment_id in enrollment_ids:
        line = by_id.get(enrollment_id)
        if line is None:
            raise UserInputError("所选学员不在参训中，不能确认结业")
        if line.status != EnrollmentStatus.ATTENDING.value:
            raise UserInputError(f"{line.name}的结业结论已确认（{EnrollmentStatus(line.status).label}）")
        outcome = override or line.proposal.outcome
        reasons = [reason.text for reason in line.proposal.reasons]
        if override is not None:
            reasons.append(f"管理员改判为“{outcome.label}”：{override_reason.strip()}")
        session.add(
            Completion(
                enrollment_id=enrollment_id,
                outcome=outcome.value,
                reasons=reasons,
                decided_at=at,
                decided_by=decided_by,
                override_reason=override_reason.strip(),
            )
        )
        status = (
            EnrollmentStatus.COMPLETED
            if outcome == CompletionOutcome.COMPLETED
            else EnrollmentStatus.NOT_COMPLETED
        )
        # The status history keeps why a trainee did not complete (it is shown to the sending school).
        unmet = "；".join(reason.text for reason in line.proposal.unmet)
        reason = override_reason.strip() if override is not None else unmet
        selection.advance(session, [enrollment_id], status, actor=decided_by, at=at, reason=reason)
    session.flush()
    return len(enrollment_ids)
