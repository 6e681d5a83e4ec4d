"""Completion on the demo county: proposals with reasons, confirmation, overrides, and the integrity
record that then refuses the next 国培."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from desktop.db.models import (
    Attendance,
    Completion,
    Enrollment,
    IntegrityRecord,
    OutboxEntry,
    Project,
    TrainingClass,
    TrainingSession,
)
from desktop.domain.completion import CompletionTooEarly
from desktop.domain.ids import natural_id
from desktop.errors import UserInputError
from desktop.services import attendance_documents, checkin, completion, selection
from guopei_common.vocab import AttendanceStatus, CompletionOutcome
from tests.conftest import DEMO_TODAY

# A moment long after every demo project: every session has been held by then.
LATER = dt.datetime.combine(DEMO_TODAY + dt.timedelta(days=400), dt.time(17, 0))


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
    with db.read() as session:
        lines = completion.proposals(session, project_id, now=LATER)
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
        lines = completion.proposals(session, project_id, now=LATER)
    passing = [line for line in lines if line.proposal.outcome == CompletionOutcome.COMPLETED]
    failing = [line for line in lines if line.proposal.outcome == CompletionOutcome.NOT_COMPLETED]
    assert passing, "someone attended enough"
    with db.write() as session:
        completion.confirm(session, project_id, [passing[0].enrollment_id], decided_by="管理员", at=LATER)
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
            at=LATER,
            override=CompletionOutcome.NOT_COMPLETED,
        )
    with db.write() as session:
        completion.confirm(
            session,
            project_id,
            [passing[1].enrollment_id],
            decided_by="管理员",
            at=LATER,
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
        completion.confirm(session, project_id, [passing[0].enrollment_id], decided_by="管理员", at=LATER)


# The demo's "now": this morning's sessions are over, this afternoon's are not.
NOW = dt.datetime.combine(DEMO_TODAY, dt.time(12, 0))


def running_face_to_face(db, *, guopei: bool = False) -> str:
    """A face-to-face project of the demo with several trainees attending, some sessions held by NOW
    and its last session still to come."""
    with db.write() as session:
        for project in session.scalars(
            select(Project)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "attending")
            .group_by(Project.id)
            .having(func.count() >= 3)
            .order_by(Project.code)
        ):
            ends = [
                dt.datetime.combine(day, end)
                for day, end, fmt in session.execute(
                    select(TrainingSession.date, TrainingSession.end_time, TrainingSession.format)
                    .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
                    .where(TrainingClass.project_id == project.id)
                )
                if fmt == "face_to_face"
            ]
            if ends and min(ends) < NOW < max(ends):
                if guopei:
                    project.program = "guopei_midwest"
                return project.id
    raise AssertionError("the demo county has no running face-to-face project")


def attend_every_session(session, enrollment: Enrollment, *, until: dt.datetime) -> float:
    """Present in full at every session of the trainee's class ended by `until` that has no check-in
    yet; returns the hours of those sessions (checked in or not)."""
    held = 0.0
    for s in session.scalars(select(TrainingSession).where(TrainingSession.class_id == enrollment.class_id)):
        if dt.datetime.combine(s.date, s.end_time) > until:
            continue
        held += s.hours
        row = checkin.find_attendance(session, s.id, enrollment.id)
        if row is not None and row.checked_in_at is not None and row.status in checkin.PRESENT:
            continue
        if row is None:
            row = Attendance(
                id=natural_id("attendance", s.id, enrollment.id), session_id=s.id, enrollment_id=enrollment.id
            )
            session.add(row)
        row.deleted = False
        row.status = AttendanceStatus.PRESENT.value
        row.checked_in_at = dt.datetime.combine(s.date, s.start_time)
        row.hours = s.hours
    session.flush()
    return held


def first_attending(session, project_id: str) -> Enrollment:
    return session.scalars(
        select(Enrollment)
        .where(Enrollment.project_id == project_id, Enrollment.status == "attending")
        .where(Enrollment.class_id.isnot(None))
        .order_by(Enrollment.id)
    ).first()


def test_proposal_on_a_running_project_counts_only_sessions_held(writable_demo):
    db = writable_demo
    project_id = running_face_to_face(db)
    with db.write() as session:
        enrollment = first_attending(session, project_id)
        held = attend_every_session(session, enrollment, until=NOW)
        scheduled = sum(
            session.scalars(
                select(TrainingSession.hours).where(TrainingSession.class_id == enrollment.class_id)
            )
        )
    assert 0 < held < scheduled
    with db.read() as session:
        line = next(
            line
            for line in completion.proposals(session, project_id, now=NOW)
            if line.enrollment_id == enrollment.id
        )
    absence = line.proposal.reasons[0]
    # Sessions not yet held are no absence: before, this read "缺勤 … 学时" for every session to come.
    assert (absence.text, absence.met) == (f"全勤（{held:g} 学时）", True)


def test_completion_cannot_be_confirmed_before_the_last_session(writable_demo):
    db = writable_demo
    project_id = running_face_to_face(db, guopei=True)
    with db.read() as session:
        last = completion.last_session_end(session, project_id)
        enrollment_id = first_attending(session, project_id).id
    assert last > NOW
    for override in (None, CompletionOutcome.NOT_COMPLETED):
        with (
            pytest.raises(CompletionTooEarly, match=f"{last:%Y年%m月%d日 %H:%M}") as refused,
            db.write() as session,
        ):
            completion.confirm(
                session,
                project_id,
                [enrollment_id],
                decided_by="管理员",
                at=last - dt.timedelta(minutes=1),
                override=override,
                override_reason="连续缺课" if override else "",
            )
        assert isinstance(refused.value, UserInputError) and "劝退" in str(refused.value)
    with db.read() as session:
        assert session.scalar(select(Completion).where(Completion.enrollment_id == enrollment_id)) is None
        assert (
            session.scalar(select(IntegrityRecord).where(IntegrityRecord.enrollment_id == enrollment_id))
            is None
        )
        assert session.get(Enrollment, enrollment_id).status == "attending"
    with db.write() as session:  # the moment the last session ends, it may be decided
        assert completion.confirm(session, project_id, [enrollment_id], decided_by="管理员", at=last) == 1


def test_guopei_non_completion_says_how_many_bans_and_is_undone_until_synced(writable_demo):
    db = writable_demo
    project_id = running_face_to_face(db, guopei=True)
    with db.read() as session:
        after = completion.last_session_end(session, project_id) + dt.timedelta(hours=1)
        failing = [
            line.enrollment_id
            for line in completion.proposals(session, project_id, now=after)
            if line.proposal.outcome == CompletionOutcome.NOT_COMPLETED
        ][:3]
        assert len(failing) == 3  # nobody has submitted an outcome yet
        plan = completion.plan(session, project_id, failing, now=after)
    assert (plan.completed, plan.not_completed, plan.integrity_records) == (0, 3, 3)
    assert "将为 3 人写入诚信档案，三年内不得参加国培" in plan.text()
    with db.write() as session:
        completion.confirm(session, project_id, failing, decided_by="管理员", at=after)

    def live_records(session, enrollment_id: str) -> int:
        return session.scalar(
            select(func.count())
            .select_from(IntegrityRecord)
            .where(IntegrityRecord.enrollment_id == enrollment_id, IntegrityRecord.deleted.is_(False))
        )

    with db.read() as session:
        assert [live_records(session, e) for e in failing] == [1, 1, 1]
        first = session.scalar(select(Completion).where(Completion.enrollment_id == failing[0]))
    with db.write() as session:
        assert completion.undo(session, failing[:1], actor="管理员", at=after) == 1
    with db.read() as session:
        enrollment = session.get(Enrollment, failing[0])
        assert enrollment.status == "attending" and live_records(session, failing[0]) == 0
        assert session.get(Completion, first.id).deleted
        project = session.get(Project, project_id)
        bans = selection.decisions_for(session, [enrollment.teacher_id], project)[enrollment.teacher_id]
        assert not any(reason.rule == "ban" and not reason.met for reason in bans.reasons)
    with db.write() as session:  # decided again: the same completion row comes back
        completion.confirm(session, project_id, failing[:1], decided_by="管理员", at=after)
    with db.read() as session:
        again = session.scalar(select(Completion).where(Completion.enrollment_id == failing[0]))
        assert again.id == first.id and not again.deleted
    with db.write() as session:  # the province acknowledged everything: the outbox is empty
        session.execute(delete(OutboxEntry))
    with pytest.raises(UserInputError, match="已同步"), db.write() as session:
        completion.undo(session, failing[1:2], actor="管理员", at=after)
    with db.read() as session:
        assert session.get(Enrollment, failing[1]).status == "not_completed"


def test_late_arrival_shows_in_the_completion_reasons(writable_demo):
    db = writable_demo
    project_id = running_face_to_face(db)
    with db.write() as session:
        enrollment = first_attending(session, project_id)
        last = completion.last_session_end(session, project_id)
        first_session = session.scalars(
            select(TrainingSession)
            .where(TrainingSession.class_id == enrollment.class_id)
            .order_by(TrainingSession.date, TrainingSession.start_time)
        ).first()
        row = checkin.find_attendance(session, first_session.id, enrollment.id)
        if row is not None:
            row.deleted = True
            session.flush()
        start = dt.datetime.combine(first_session.date, first_session.start_time)
        info = checkin.session_info(session, first_session.id)
        result = checkin.record(
            session, info, enrollment.id, now=start + dt.timedelta(minutes=90), sign_out=False, method="name"
        )
        assert result.outcome == checkin.Outcome.LATE
        held = attend_every_session(session, enrollment, until=last)
    assert (first_session.hours, first_session.end_time.hour - first_session.start_time.hour) == (3, 3)
    with db.read() as session:
        line = next(
            line
            for line in completion.proposals(session, project_id, now=last)
            if line.enrollment_id == enrollment.id
        )
    share = f"{1.5 / held:.0%}"
    assert line.proposal.reasons[0].text == (
        f"缺勤 1.5 学时（含迟到早退 1.5 学时），占总学时 {share}，未超过五分之一（请假计入缺勤）"
    )
