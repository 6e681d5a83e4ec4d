"""Completion on the demo county: proposals with reasons, confirmation, overrides, and the integrity
record that then refuses the next 国培."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop.db.models import Completion, Enrollment, IntegrityRecord, Project, TrainingSession
from desktop.domain.vocab import AttendanceStatus, CompletionOutcome
from desktop.errors import UserInputError
from desktop.services import attendance_documents, completion, selection
from tests.conftest import DEMO_TODAY

AT = dt.datetime.combine(DEMO_TODAY, dt.time(17, 0))


def running_guopei(db) -> str:
    """A 国培 project whose trainees are attending; its sessions are treated as all held."""
    with db.write() as session:
        project = session.scalars(
            select(Project)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "attending")
        ).first()
        project.program = "guopei_midwest"
        return project.id


def test_proposals_confirmation_and_the_integrity_record(writable_demo):
    db = writable_demo
    project_id = running_guopei(db)
    later = DEMO_TODAY + dt.timedelta(days=400)  # every session held by then
    with db.read() as session:
        lines = completion.proposals(session, project_id, today=later)
    assert lines and all(line.proposal.reasons for line in lines)
    failing = [line for line in lines if line.proposal.outcome == CompletionOutcome.NOT_COMPLETED]
    passing = [line for line in lines if line.proposal.outcome == CompletionOutcome.COMPLETED]
    # Trainees who never submitted their outcome cannot complete (成果应用考核 is on by default).
    assert failing and any("成果" in r.text for r in failing[0].proposal.unmet)
    with db.write() as session:
        completion.record_assessment(session, [line.enrollment_id for line in lines], outcome_submitted=True)
        # Two trainees attend every session of their class, as if the training had run its course.
        for line in lines[:2]:
            enrollment = session.get(Enrollment, line.enrollment_id)
            for session_id in session.scalars(
                select(TrainingSession.id).where(TrainingSession.class_id == enrollment.class_id)
            ):
                attendance_documents.record_paper_marks(
                    session, session_id, {enrollment.id: AttendanceStatus.PRESENT}
                )
    with db.read() as session:
        lines = completion.proposals(session, project_id, today=later)
    passing = [line for line in lines if line.proposal.outcome == CompletionOutcome.COMPLETED]
    failing = [line for line in lines if line.proposal.outcome == CompletionOutcome.NOT_COMPLETED]
    assert passing, "someone attended enough"
    with db.write() as session:
        completion.confirm(
            session, project_id, [passing[0].enrollment_id], decided_by="管理员", at=AT, today=later
        )
    with db.read() as session:
        done = session.scalars(
            select(Completion).where(Completion.enrollment_id == passing[0].enrollment_id)
        ).one()
        assert done.outcome == "completed" and done.reasons
        assert session.get(Enrollment, passing[0].enrollment_id).status == "completed"
    with pytest.raises(UserInputError, match="须填写理由"), db.write() as session:
        completion.confirm(
            session,
            project_id,
            [passing[1].enrollment_id],
            decided_by="管理员",
            at=AT,
            today=later,
            override=CompletionOutcome.NOT_COMPLETED,
        )
    with db.write() as session:
        completion.confirm(
            session,
            project_id,
            [passing[1].enrollment_id],
            decided_by="管理员",
            at=AT,
            today=later,
            override=CompletionOutcome.NOT_COMPLETED,
            override_reason="研修成果系抄袭",
        )
    with db.read() as session:
        enrollment = session.get(Enrollment, passing[1].enrollment_id)
        record = session.scalars(
            select(IntegrityRecord).where(IntegrityRecord.enrollment_id == enrollment.id)
        ).one()
        assert record.kind == "not_completed" and record.reason == "研修成果系抄袭"
        project = session.get(Project, project_id)
        assert record.ban_until.year == project.end_date.year + 3
        # The engine reads it: this teacher is now barred from the next 国培.
        bans = selection.decisions_for(session, [enrollment.teacher_id], project)[enrollment.teacher_id]
        assert any(reason.rule == "ban" and not reason.met for reason in bans.reasons)
    with pytest.raises(UserInputError, match="已确认"), db.write() as session:
        completion.confirm(
            session, project_id, [passing[0].enrollment_id], decided_by="管理员", at=AT, today=later
        )
