"""The 结业 tab and the 学分 page driven through their actions on the demo county."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QItemSelectionModel
from sqlalchemy import func, select

from desktop.db.models import Completion, CreditEntry, Enrollment, IntegrityRecord, Project, Teacher
from desktop.domain.completion import CompletionTooEarly
from desktop.services import completion
from desktop.ui.app import create_application
from desktop.ui.credits_page import CreditsPage
from desktop.ui.projects_page import ProjectsPage
from guopei_common.vocab import CompletionOutcome, TrainingLevel
from tests.conftest import DEMO_TODAY, QuietContext


def select_rows(table, rows) -> None:
    model = table.selectionModel()
    model.clearSelection()
    for row in rows:
        model.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def completion_tab(qtbot, db, project_id: str, *, now: dt.datetime):
    create_application([])
    context = QuietContext(db)
    context.now = lambda: now
    page = ProjectsPage(context)
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(None))
    page.table.selectRow([r.id for r in page.rows].index(project_id))
    page.tabs.setCurrentIndex(4)  # 结业
    return page, page.completion_tab


def running_project(db, *, guopei: bool = False) -> tuple[str, dt.datetime]:
    """The first demo project with trainees attending, and when its last session ends."""
    with db.write() as session:
        project = session.scalars(
            select(Project)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "attending")
            .group_by(Project.id)
            .having(func.count() >= 3)
            .order_by(Project.code)
        ).first()
        if guopei:
            project.program = "guopei_midwest"
        return project.id, completion.last_session_end(session, project.id)


def test_confirm_and_override_completion_in_the_tab(qtbot, writable_demo):
    db = writable_demo
    project_id, last = running_project(db)
    # Decided the evening after the last session (deciding while it ran was the bug of issue 16).
    page, tab = completion_tab(qtbot, db, project_id, now=last + dt.timedelta(hours=1))
    assert tab.table.rowCount() == len(tab.lines) > 1
    assert all(tab.table.item(r, 5).text() for r in range(tab.table.rowCount()))  # every reason shown
    assert all(button.isEnabled() for button in tab.decide_buttons) and tab.too_early.isHidden()
    select_rows(tab.table, [0])
    first = tab.lines[0]
    assert tab.confirm_selected()
    assert page.context.confirmations[-1].startswith("将确认 1 人的结业结论")
    select_rows(tab.table, [1])
    second = tab.lines[1]
    assert not tab.override_selected(CompletionOutcome.COMPLETED, "")  # a reason is required
    assert "须填写理由" in str(page.context.errors[-1])
    assert tab.override_selected(CompletionOutcome.COMPLETED, "补交成果，经专家组认定合格")
    with db.read() as session:
        decided = dict(session.execute(select(Completion.enrollment_id, Completion.outcome)).all())
        assert decided[first.enrollment_id] == first.proposal.outcome.value
        assert decided[second.enrollment_id] == "completed"
        assert session.get(Enrollment, second.enrollment_id).status == "completed"


def test_completion_cannot_be_confirmed_before_the_last_session_in_the_tab(qtbot, writable_demo):
    db = writable_demo
    project_id, last = running_project(db, guopei=True)
    page, tab = completion_tab(qtbot, db, project_id, now=dt.datetime.combine(DEMO_TODAY, dt.time(12)))
    when = f"{last:%Y年%m月%d日 %H:%M}"
    assert not any(button.isEnabled() for button in tab.decide_buttons)
    assert not tab.too_early.isHidden() and when in tab.too_early.text()
    # Sessions not yet held are no absence: trainees who came to every session so far pass that
    # reason (before, everyone was over the limit a third of the way into the project).
    assert any(line.proposal.reasons[0].met for line in tab.lines)
    select_rows(tab.table, [0])
    # The button is off, and the service refuses too: the refusal names the last session.
    assert not tab.confirm_selected()
    assert isinstance(page.context.errors[-1], CompletionTooEarly) and when in str(page.context.errors[-1])
    assert not tab.override_selected(CompletionOutcome.NOT_COMPLETED, "连续缺课")
    assert page.context.confirmations == []  # refused before anything was asked
    with db.read() as session:
        assert (
            session.scalar(select(Completion).where(Completion.enrollment_id == tab.lines[0].enrollment_id))
            is None
        )
        assert session.get(Enrollment, tab.lines[0].enrollment_id).status == "attending"


def test_guopei_non_completion_names_the_bans_asks_once_and_can_be_undone(qtbot, writable_demo):
    db = writable_demo
    project_id, last = running_project(db, guopei=True)
    page, tab = completion_tab(qtbot, db, project_id, now=last + dt.timedelta(hours=1))
    failing = [
        row for row, line in enumerate(tab.lines) if line.proposal.outcome == CompletionOutcome.NOT_COMPLETED
    ][:3]
    assert len(failing) == 3
    ids = [tab.lines[row].enrollment_id for row in failing]

    def bans() -> int:
        with db.read() as session:
            return session.scalar(
                select(func.count())
                .select_from(IntegrityRecord)
                .where(IntegrityRecord.enrollment_id.in_(ids), IntegrityRecord.deleted.is_(False))
            )

    page.context.answer = False  # the administrator reads it and presses Cancel
    select_rows(tab.table, failing)
    assert not tab.confirm_selected()
    assert "将为 3 人写入诚信档案，三年内不得参加国培" in page.context.confirmations[-1]
    assert bans() == 0
    page.context.answer = True
    select_rows(tab.table, failing)
    assert tab.confirm_selected()
    assert len(page.context.confirmations) == 2 and bans() == 3
    row = [line.enrollment_id for line in tab.lines].index(ids[0])
    select_rows(tab.table, [row])
    assert tab.undo_selected()  # not synced yet: taken back
    assert "撤销 1 人" in page.context.confirmations[-1]
    assert bans() == 2
    with db.read() as session:
        assert session.get(Enrollment, ids[0]).status == "attending"


def test_credits_page_generates_submits_and_exports(qtbot, writable_demo, tmp_path):
    db = writable_demo
    with db.write() as session:
        project_id, end = session.execute(
            select(Project.id, Project.end_date)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "completed")
        ).first()
        id_number = session.scalar(select(Teacher.id_number).where(Teacher.employment_status == "active"))
        # Start from a project whose credits have not been generated yet.
        for entry in session.scalars(
            select(CreditEntry)
            .join(Enrollment, CreditEntry.enrollment_id == Enrollment.id)
            .where(Enrollment.project_id == project_id)
        ):
            entry.deleted = True
    create_application([])
    page = CreditsPage(QuietContext(db))
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(end.year))
    before = len(page.rows)
    assert page.generate(project_id)
    assert "生成学分草稿" in page.context.messages[-1]
    assert len(page.rows) > before
    assert page.add_manual(id_number, TrainingLevel.PROVINCIAL, 12, "省级网络研修")
    assert any(r.description == "手工登记：省级网络研修" and r.credits == 1.2 for r in page.rows)
    assert page.submit_year()
    page.status.setCurrentIndex(page.status.findText("草稿"))
    assert page.rows == []  # every draft of the year went to the province
    out = tmp_path / "汇总.xlsx"
    assert page.export_summary(out) > 0 and out.exists()


def test_credits_page_search_by_id_tail_name_initials_and_school(qtbot, demo_db):
    create_application([])
    page = CreditsPage(QuietContext(demo_db))
    qtbot.addWidget(page)
    page.show()
    everyone = list(page.rows)
    assert len(everyone) > 10
    someone = everyone[len(everyone) // 2]
    with demo_db.read() as session:
        teacher = session.get(Teacher, someone.teacher_id)
    qtbot.keyClicks(page.search, teacher.id_number[-6:])  # typed: the list follows after a pause
    qtbot.waitUntil(lambda: page.rows != everyone)
    assert {r.teacher_id for r in page.rows} == {someone.teacher_id}
    assert page.table.rowCount() == len(page.rows) and page.table.item(0, 0).text() == teacher.name
    page.search.clear()
    page.search.setText(teacher.name_initials)
    page.reload()
    assert someone.teacher_id in {r.teacher_id for r in page.rows} and len(page.rows) < len(everyone)
    page.search.setText(someone.school[-4:])
    page.reload()
    assert page.rows and all(someone.school[-4:] in r.school for r in page.rows)
    page.search.setText("")
    page.reload()
    assert page.rows == everyone
