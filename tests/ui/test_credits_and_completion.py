"""The 结业 tab and the 学分 page driven through their actions on the demo county."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from sqlalchemy import select

from desktop.db.models import Completion, CreditEntry, Enrollment, Project, Teacher
from desktop.domain.vocab import CompletionOutcome, TrainingLevel
from desktop.ui.app import create_application
from desktop.ui.credits_page import CreditsPage
from desktop.ui.projects_page import ProjectsPage
from tests.conftest import QuietContext


def select_rows(table, rows) -> None:
    model = table.selectionModel()
    model.clearSelection()
    for row in rows:
        model.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_confirm_and_override_completion_in_the_tab(qtbot, writable_demo):
    db = writable_demo
    with db.read() as session:
        project_id = session.scalar(
            select(Project.id)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "attending")
        )
    create_application([])
    page = ProjectsPage(QuietContext(db))
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(None))
    page.table.selectRow([r.id for r in page.rows].index(project_id))
    page.tabs.setCurrentIndex(4)  # 结业
    tab = page.completion_tab
    assert tab.table.rowCount() == len(tab.lines) > 1
    assert all(tab.table.item(r, 5).text() for r in range(tab.table.rowCount()))  # every reason shown
    select_rows(tab.table, [0])
    first = tab.lines[0]
    assert tab.confirm_selected()
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
