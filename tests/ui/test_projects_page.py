"""Selecting trainees for a project of the demo county through the real page."""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select

from desktop.db.models import Enrollment, Project
from desktop.ui.app import create_application
from desktop.ui.projects_page import ProjectsPage
from tests.conftest import QuietContext


def open_project(qtbot, db, *, status: str) -> ProjectsPage:
    create_application([])
    page = ProjectsPage(QuietContext(db))
    qtbot.addWidget(page)
    page.resize(1196, 720)
    page.show()
    page.year.setCurrentIndex(page.year.findData(None))  # every year
    row = next(i for i, r in enumerate(page.rows) if r.status == status and r.owner == "county")
    page.table.selectRow(row)
    return page


def select_rows(table, rows) -> None:
    model = table.selectionModel()
    model.clearSelection()
    for row in rows:
        model.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def enrolled(db, project_id: str) -> dict[str, str]:
    with db.read() as session:
        return dict(
            session.execute(
                select(Enrollment.teacher_id, Enrollment.status).where(Enrollment.project_id == project_id)
            ).all()
        )


@pytest.mark.slow
def test_select_admit_approve_publicise_and_print(qtbot, writable_demo, tmp_path):
    db = writable_demo
    with db.write() as session:  # a county project open for applications, with room
        project = session.scalars(select(Project).where(Project.owner == "county")).first()
        project.status, project.quota = "open", 500
    page = open_project(qtbot, db, status="open")
    project = page.current_project()
    before = enrolled(db, project.id)

    page.tabs.setCurrentIndex(1)  # 精准遴选
    assert page.candidates_tab.table.rowCount() > 3
    eligible_first = [
        page.candidates_tab.table.item(r, 5).text() for r in range(page.candidates_tab.table.rowCount())
    ]
    assert eligible_first == sorted(eligible_first, key=lambda t: t != "符合")  # eligible ones on top
    page.candidates_tab.top_n.setValue(3)
    assert page.candidates_tab.enroll_top()
    after = enrolled(db, project.id)
    new = [t for t in after if t not in before]
    assert len(new) == 3 and all(after[t] == "applied" for t in new)

    page.tabs.setCurrentIndex(0)  # 学员
    ids = [page.trainees_tab.table.item(r, 0).data(0x0100) for r in range(page.trainees_tab.table.rowCount())]
    with db.read() as session:
        mine = {e.id for e in session.scalars(select(Enrollment).where(Enrollment.teacher_id.in_(new)))}
    select_rows(page.trainees_tab.table, [i for i, key in enumerate(ids) if key in mine])
    from guopei_common.vocab import EnrollmentStatus

    assert page.trainees_tab.step_selected(EnrollmentStatus.ADMITTED)
    select_rows(page.trainees_tab.table, [i for i, key in enumerate(ids) if key in mine])
    assert page.trainees_tab.step_selected(EnrollmentStatus.APPROVED)
    assert page.trainees_tab.publicise(days=5)
    statuses = enrolled(db, project.id)
    assert all(statuses[t] == "publicised" for t in new)

    page.trainees_tab.write_documents(tmp_path)
    assert "已为" in page.context.messages[-1]
    pdf = next(tmp_path.glob("*公示名单.pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    with db.read() as session:
        from desktop.db.models import Teacher

        names = list(session.scalars(select(Teacher.name).where(Teacher.id.in_(new))))
    assert all(name in text for name in names)
    assert project.name[:6] in text.replace(" ", "")


def test_an_ineligible_teacher_is_refused_and_nothing_is_written(qtbot, writable_demo):
    from desktop.db.models import Teacher

    db = writable_demo
    with db.write() as session:
        project = session.scalars(
            select(Project).where(Project.owner == "county").order_by(Project.code)
        ).first()
        project.status, project.quota = "open", 500
        project.conditions = {**(project.conditions or {}), "stages": ["10"]}  # kindergarten teachers only
        project_id = project.id
    page = open_project(qtbot, db, status="open")
    page.table.selectRow([r.id for r in page.rows].index(project_id))
    with db.read() as session:
        count = session.scalar(select(func.count()).select_from(Enrollment))
        primary = session.scalar(
            select(Teacher.id).where(Teacher.stage == "21", Teacher.employment_status == "active")
        )
    assert not page.candidates_tab.enroll_teachers([primary])
    assert "学段不符" in str(page.context.errors[-1])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == count
    assert page.candidates_tab.enroll_teachers([primary], override_reason="县教育局特批")
    assert enrolled(db, project_id)[primary] == "applied"


def test_attendance_tab_and_summary_export(qtbot, writable_demo, tmp_path):
    from desktop.io.spreadsheet import read_sheet

    create_application([])
    page = ProjectsPage(QuietContext(writable_demo))
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(None))
    finished = next(i for i, r in enumerate(page.rows) if r.status == "finished" and r.seats_taken > 0)
    page.table.selectRow(finished)
    page.tabs.setCurrentIndex(3)  # 考勤
    assert page.attendance_tab.table.rowCount() == len(page.attendance_tab.summary_rows) > 0
    rates = [page.attendance_tab.table.item(r, 5).text() for r in range(page.attendance_tab.table.rowCount())]
    assert all(rate.endswith("%") or rate == "—" for rate in rates)
    table = page.attendance_tab.table
    assert table.horizontalHeaderItem(11).text() == "迟到早退扣减学时"
    lost = {
        table.item(r, 11).text(): row.hours_lost_late_early
        for r, row in enumerate(page.attendance_tab.summary_rows)
        if row.hours_lost_late_early
    }
    assert lost and all(float(text) == hours for text, hours in lost.items())  # late trainees show it
    out = tmp_path / "考勤汇总.xlsx"
    assert page.attendance_tab.export_summary(out) == len(page.attendance_tab.summary_rows)
    sheet = read_sheet(out)
    assert [cell.value for cell in sheet.rows[0]][:3] == ["姓名", "学校/单位", "班级"]
    assert len(sheet.rows) - 1 == len(page.attendance_tab.summary_rows)


def test_files_checked_against_the_project_open_a_preview(qtbot, writable_demo, tmp_path):
    import openpyxl

    create_application([])
    page = ProjectsPage(QuietContext(writable_demo))
    qtbot.addWidget(page)
    page.year.setCurrentIndex(page.year.findData(None))
    page.table.selectRow(0)
    path = tmp_path / "名单.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "身份证号", "课程", "学时", "日期"])
    workbook.active.append(["无名氏", "11010519491231002X", "专题讲座", "2", "2026-11-20"])
    workbook.save(path)
    applications = page.trainees_tab.import_applications(path)
    assert applications.table.rowCount() == 1 and not applications.apply_button.isEnabled()
    assert "花名册中没有此人" in applications.table.item(0, 4).text()
    hours = page.attendance_tab.import_online_hours(path)
    assert hours.table.rowCount() == 1 and not hours.apply_button.isEnabled()
    bad = tmp_path / "x.pdf"
    bad.write_text("not a sheet")
    assert page.trainees_tab.import_applications(bad) is None
    assert "不支持的文件类型" in str(page.context.errors[-1])


def test_dismissal_in_guopei_says_it_writes_the_integrity_record_and_asks_once(qtbot, writable_demo):
    from desktop.db.models import IntegrityRecord
    from guopei_common.vocab import EnrollmentStatus

    db = writable_demo
    with db.write() as session:
        project = session.scalars(
            select(Project)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Project.owner == "county", Enrollment.status == "attending")
        ).first()
        project.program = "guopei_midwest"
        project_id = project.id
    page = open_project(qtbot, db, status=project.status)
    page.table.selectRow([r.id for r in page.rows].index(project_id))
    page.tabs.setCurrentIndex(0)  # 学员
    table = page.trainees_tab.table
    attending = [r for r in range(table.rowCount()) if table.item(r, 4).text() == "参训中"][:2]
    ids = [table.item(r, 0).data(0x0100) for r in attending]

    def records() -> int:
        with db.read() as session:
            return session.scalar(
                select(func.count())
                .select_from(IntegrityRecord)
                .where(IntegrityRecord.enrollment_id.in_(ids))
            )

    page.context.answer = False
    select_rows(table, attending)
    assert not page.trainees_tab.step_selected(EnrollmentStatus.DISMISSED, "不符合参训条件")
    text = page.context.confirmations[-1]
    assert "将为 2 人写入诚信档案，三年内不得参加国培" in text and "不符合参训条件" in text
    assert records() == 0
    page.context.answer = True
    select_rows(table, attending)
    assert page.trainees_tab.step_selected(EnrollmentStatus.DISMISSED, "不符合参训条件")
    assert records() == 2 and len(page.context.confirmations) == 2


def test_new_project_defaults_to_the_countys_own_marks_required_fields_and_selects_it(qtbot, writable_demo):
    create_application([])
    page = ProjectsPage(QuietContext(writable_demo))
    qtbot.addWidget(page)
    page.resize(1196, 720)
    page.show()
    before = len(page.rows)
    dialog = page.new_project()
    assert dialog.program.currentData() == "county" and dialog.mode.currentData() == "offline"  # 县培, 线下
    stars = [label.text() for label in dialog.findChildren(QLabel) if label.text().endswith("*</span>")]
    assert len(stars) == 8 and any(text.startswith("项目名称") for text in stars)

    dialog.code.setText("XP-2026-NEW-01")
    dialog.hours.setValue(0)
    dialog.try_save()  # refused: each error beside its field, the first one focused
    assert dialog.isVisible()
    assert dialog.field_errors["name"].isVisibleTo(dialog) and "名称" in dialog.field_errors["name"].text()
    assert dialog.field_errors["hours"].isVisibleTo(dialog) and "学时" in dialog.field_errors["hours"].text()
    assert not dialog.field_errors["code"].isVisibleTo(dialog) and dialog.error.text() == ""
    assert dialog.name.hasFocus() or not dialog.isActiveWindow()

    dialog.name.setText("2026年平塘县新课标教学专题培训")
    dialog.hours.setValue(24)
    dialog.try_save()
    assert not dialog.isVisible() and not dialog.field_errors["name"].isVisibleTo(dialog)
    created = page.current_project()
    assert created is not None and created.code == "XP-2026-NEW-01"
    assert (created.program, created.mode, created.owner) == ("county", "offline", "county")
    assert len(page.rows) == before + 1
