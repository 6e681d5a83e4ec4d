"""The teachers page driven like a person would: typing into the search box, opening dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.modeltest import ModelTester
from sqlalchemy import func, select

from desktop.db.models import OutboxEntry, Teacher
from desktop.domain.pinyin import name_pinyin
from desktop.domain.teacher_rules import TeacherForm
from desktop.ui.app import create_application
from desktop.ui.context import AppContext
from desktop.ui.teacher_dialog import TeacherDialog
from desktop.ui.teacher_file_dialog import TeacherFileDialog
from desktop.ui.teachers_page import TeachersPage
from guopei_common.idnumber import mask_id_number
from tests.conftest import DEMO_TODAY


def make_page(qtbot, db) -> TeachersPage:
    create_application([])
    page = TeachersPage(AppContext(db, today=lambda: DEMO_TODAY))
    qtbot.addWidget(page)
    page.resize(1196, 700)
    page.show()
    return page


def test_model_passes_qt_model_checks(qtbot, demo_db):
    page = make_page(qtbot, demo_db)
    ModelTester(None).check(page.model)
    assert page.model.rowCount() == 2850


def test_typing_pinyin_initials_finds_the_teacher(qtbot, demo_db):
    with demo_db.read() as session:
        teacher = session.scalars(select(Teacher).where(Teacher.name == "刘䶮")).first()
    page = make_page(qtbot, demo_db)
    qtbot.keyClicks(page.search, name_pinyin(teacher.name).full)
    qtbot.waitUntil(lambda: page.model.rowCount() < 100)
    shown = [page.model.row_at(r).name for r in range(page.model.rowCount())]
    assert "刘䶮" in shown
    assert all(name_pinyin(n).full.startswith("liuyan") for n in shown)
    row = [page.model.id_at(r) for r in range(page.model.rowCount())].index(teacher.id)
    id_cell = page.model.index(row, 2).data()
    assert id_cell == mask_id_number(teacher.id_number) and teacher.id_number not in id_cell


def test_search_by_id_digits_then_open_the_file(qtbot, writable_demo):
    # Writable: opening a teacher's file records the view of the full ID number in the audit log.
    with writable_demo.read() as session:
        teacher = session.scalars(select(Teacher).order_by(Teacher.id_number).offset(100)).first()
    page = make_page(qtbot, writable_demo)
    qtbot.keyClicks(page.search, teacher.id_number[-8:])
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.model.rowCount() == 1 and page.model.row_at(0).name == teacher.name
    page.table.selectRow(0)
    dialog = page.open_file()
    assert isinstance(dialog, TeacherFileDialog)
    shown_texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert teacher.id_number in shown_texts  # the detail view shows the full number


def test_filters_narrow_the_list(qtbot, demo_db):
    page = make_page(qtbot, demo_db)
    everyone = page.model.rowCount()
    rural = page.filters["rural"]
    rural.setCurrentIndex(rural.findData(True))
    rural_count = page.model.rowCount()
    assert 0 < rural_count < everyone
    with demo_db.read() as session:
        from desktop.db.models import School

        expected = session.scalar(
            select(func.count())
            .select_from(Teacher)
            .join(School, Teacher.school_id == School.id)
            .where(School.is_rural.is_(True), Teacher.employment_status == "active")
        )
    assert rural_count == expected


def test_add_dialog_shows_field_errors_and_writes_nothing(qtbot, writable_demo):
    page = make_page(qtbot, writable_demo)
    with writable_demo.read() as session:
        before = session.scalar(select(func.count()).select_from(OutboxEntry))
    dialog = TeacherDialog(page, schools=page._schools(), save=lambda form: _save(writable_demo, form))
    name = dialog.fields["name"]
    id_number = dialog.fields["id_number"]
    assert isinstance(name, QLineEdit) and isinstance(id_number, QLineEdit)
    name.setText("王小明")  # what an input method commits; QTest can only type ASCII keys
    qtbot.keyClicks(id_number, "522727198001010010")  # wrong check digit
    dialog.try_save()
    assert dialog.error_labels["id_number"].isVisibleTo(dialog)
    assert "校验码错误" in dialog.error_labels["id_number"].text()
    assert "请选择学校" in dialog.error_labels["school_id"].text()
    with writable_demo.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == before

    id_number.setText("52272719800101001X".replace("X", _check("52272719800101001")))
    dialog.fields["school_id"].setCurrentIndex(1)
    dialog.try_save()
    assert dialog.result() == TeacherDialog.DialogCode.Accepted
    with writable_demo.read() as session:
        added = session.scalars(select(Teacher).where(Teacher.name == "王小明")).one()
        assert added.name_initials == "wxm"
        # The teacher's row, and the audit entry naming who added it (issue 14).
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == before + 2
        entities = session.scalars(select(OutboxEntry.entity).order_by(OutboxEntry.seq.desc()).limit(2))
        assert sorted(entities) == ["audit_entry", "teacher"]


def _check(first17: str) -> str:
    from guopei_common.idnumber import check_digit

    return check_digit(first17)


def _save(db, form: TeacherForm) -> None:
    from desktop.services.teachers import add_teacher

    with db.write() as session:
        add_teacher(session, form, today=DEMO_TODAY)


def test_clicking_the_name_header_reverses_the_pinyin_order(qtbot, demo_db):
    page = make_page(qtbot, demo_db)
    first = page.model.row_at(0).name
    last = page.model.row_at(page.model.rowCount() - 1).name
    page.table.horizontalHeader().sectionClicked.emit(0)
    assert page.model.row_at(0).name == last
    assert page.model.row_at(page.model.rowCount() - 1).name == first


def test_keyboard_path_from_search_to_list_to_buttons(qtbot, demo_db):
    page = make_page(qtbot, demo_db)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.focus_search()
    qtbot.keyClicks(page.search, "zh")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # search now, then straight into the list
    assert page.table.hasFocus() and page.table.selectionModel().selectedRows()
    page.focus_search()
    qtbot.keyClick(page.search, Qt.Key.Key_Down)  # ↓ does the same
    assert page.table.hasFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)  # one Tab leaves the list, not one cell
    from PySide6.QtWidgets import QPushButton

    assert isinstance(page.focusWidget(), QPushButton), page.focusWidget()


def test_search_as_typed_shows_the_first_screen_then_appends_the_rest(qtbot, demo_db):
    from desktop.ui.teachers_page import FIRST_IDS

    page = make_page(qtbot, demo_db)
    with demo_db.read() as session:
        initial = func.substr(Teacher.name_initials, 1, 1)
        letter = session.scalar(select(initial).group_by(initial).order_by(func.count().desc()).limit(1))
    page.search.setText(letter)
    resets = []
    page.model.modelReset.connect(lambda: resets.append(page.model.rowCount()))
    page.search_as_typed()
    assert page.model.rowCount() == FIRST_IDS and "以上" in page.count_label.text()
    first = [page.model.id_at(row) for row in range(FIRST_IDS)]
    qtbot.waitUntil(lambda: page.model.rowCount() > FIRST_IDS)
    assert resets == [FIRST_IDS]  # the rest was appended: no second reset, the visible rows stay
    assert [page.model.id_at(row) for row in range(FIRST_IDS)] == first
    assert page.count_label.text() == f"共 {page.model.rowCount():,} 人"
    ModelTester(None).check(page.model)


def test_teacher_file_shows_attendance_beside_the_long_project_names(qtbot, writable_demo):
    from desktop.db.models import Enrollment
    from desktop.services import teachers

    with writable_demo.write() as session:
        busiest = session.scalar(
            select(Enrollment.teacher_id).group_by(Enrollment.teacher_id).order_by(func.count().desc())
        )
        record = teachers.teacher_file(session, busiest, today=DEMO_TODAY)
    create_application([])
    dialog = TeacherFileDialog(None, record)
    qtbot.addWidget(dialog)
    dialog.resize(900, 500)
    dialog.show()
    table = dialog.enrollments
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    attendance = headers.index("出勤")
    assert table.rowCount() >= 2
    right_edge = table.columnViewportPosition(attendance) + table.columnWidth(attendance)
    assert not table.isColumnHidden(attendance) and right_edge <= table.viewport().width()
    # 说明 is shown only when someone's line has one; the project name is elided, whole in its tooltip.
    notes = headers.index("说明")
    assert table.isColumnHidden(notes) == (not any(e.status_reason for e in record.enrollments))
    assert table.item(0, 1).toolTip() == record.enrollments[0].project_name


def test_an_empty_roster_says_where_teachers_come_from_with_the_import_button(qtbot, empty_db, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(TeachersPage, "choose_import_file", lambda self: asked.append("import"))
    page = make_page(qtbot, empty_db)
    page.show()
    assert page.list_area.currentWidget() is page.list_area.empty
    assert page.list_area.empty.title.text() == "还没有教师"
    first = page.list_area.empty.buttons[0]
    assert first.text().startswith("导入花名册") and first.property("primary") is True
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    assert asked == ["import"]
    page.search.setText("zzz")  # a search that finds nobody is not an empty roster
    page.reload()
    assert page.list_area.currentWidget() is page.table
