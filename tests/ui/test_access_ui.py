"""Login, roles, the idle lock and the audit page in the real window (issue 14)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import delete

from desktop.db.engine import Database, open_database
from desktop.db.models import Setting, Teacher
from desktop.domain.roles import PERMISSIONS, Role
from desktop.errors import PermissionDenied
from desktop.io.spreadsheet import read_sheet
from desktop.services import accounts
from desktop.services.demo_county import DEMO_ACCOUNTS, DEMO_MARK, DEMO_PASSWORD, build_demo_county
from desktop.services.roster import TeacherFilter
from desktop.services.roster_export import export_teachers
from desktop.ui.app import create_application
from desktop.ui.checkin_page import CheckInPage
from desktop.ui.main_window import MainWindow
from tests.conftest import DEMO_TODAY, QuietContext

NAMES = {role: name for name, role in DEMO_ACCOUNTS}


@pytest.fixture(scope="module")
def accounts_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-accounts-ui") / "county"
    build_demo_county(folder, teachers=300, today=DEMO_TODAY, accounts=True)
    return folder


@pytest.fixture
def county(accounts_demo: Path, tmp_path: Path) -> Database:
    shutil.copytree(accounts_demo, tmp_path / "county")
    db = open_database(tmp_path / "county")
    yield db
    db.dispose()


def open_window(qtbot, db: Database) -> MainWindow:
    create_application([])
    window = MainWindow(QuietContext(db))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def log_in(qtbot, window: MainWindow, name: str, password: str = DEMO_PASSWORD) -> None:
    screen = window.lock_screen
    screen.name.setText(name)
    screen.password.setText(password)
    qtbot.mouseClick(screen.enter, Qt.MouseButton.LeftButton)


def visible_pages(window: MainWindow) -> list[str]:
    return [spec.key for row, spec in enumerate(window.specs) if not window.navigation.isRowHidden(row)]


def test_a_demo_county_lists_its_demo_accounts_and_a_real_one_none(qtbot, county):
    window = open_window(qtbot, county)
    assert window.screens.currentWidget() is window.lock_screen
    listed = [
        window.lock_screen.demo_accounts.itemData(i) for i in range(window.lock_screen.demo_accounts.count())
    ]
    assert listed == [name for name, _role in DEMO_ACCOUNTS]
    assert window.pages == {}  # nothing is read before a login
    with county.write() as session:
        session.execute(delete(Setting).where(Setting.key == DEMO_MARK))
    real = open_window(qtbot, county)
    assert real.lock_screen.demo_accounts.count() == 0 and real.lock_screen.demo_accounts.isHidden()
    assert "演示" not in real.lock_screen.subtitle.text()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_only_its_pages(qtbot, county, role):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[role])
    assert window.screens.currentWidget() is window.workspace
    expected = [spec.key for spec in window.specs if spec.permission in PERMISSIONS[role]]
    assert visible_pages(window) == expected
    if role == Role.CHECK_IN:
        assert expected == ["checkin"]
    if role == Role.READER:
        assert not {"checkin", "backup", "accounts", "audit"} & set(expected) and "teachers" in expected
    if role == Role.ADMIN:
        assert expected == [spec.key for spec in window.specs]
    assert window.current_page() == expected[0] and expected[0] in window.pages
    assert role.label in window.operator_label.text()


def test_a_wrong_password_is_said_on_the_login_screen(qtbot, county):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.ADMIN], "not-the-password")
    assert window.screens.currentWidget() is window.lock_screen
    assert "账户名或密码不对" in window.lock_screen.message.text()


def test_a_reader_is_refused_check_in_through_the_page_with_the_permission_named(qtbot, county):
    accounts.login(county, NAMES[Role.READER], DEMO_PASSWORD)
    create_application([])
    context = QuietContext(county)
    page = CheckInPage(context)
    qtbot.addWidget(page)
    page.show()
    assert page.picker.count() > 0
    qtbot.keyClicks(page.input, "zhang")
    qtbot.keyClick(page.input, Qt.Key.Key_Return)
    (error,) = context.errors
    assert isinstance(error, PermissionDenied)
    assert "演示查询（查询）没有“签到考勤”的权限" in str(error)


def test_idle_lock_keeps_the_page_and_opens_only_with_the_same_password(qtbot, county):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.STAFF])
    window.show_page("teachers")
    page = window.pages["teachers"]
    qtbot.keyClicks(page.search, "wang")
    window.idle_lock.set_minutes(0.002)  # 120 ms, for the test
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.lock_screen, timeout=3000)
    assert NAMES[Role.STAFF] in window.lock_screen.subtitle.text()
    window.idle_lock.set_minutes(10)
    window.lock_screen.password.setText("wrong-one")
    window.lock_screen.submit()
    assert window.screens.currentWidget() is window.lock_screen
    window.lock_screen.password.setText(DEMO_PASSWORD)
    window.lock_screen.submit()
    assert window.screens.currentWidget() is window.workspace
    assert window.current_page() == "teachers" and window.pages["teachers"] is page
    assert page.search.text() == "wang"
    assert county.operator.name == NAMES[Role.STAFF]


def test_switching_operator_without_restarting(qtbot, county):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.ADMIN])
    window.lock()
    qtbot.mouseClick(window.lock_screen.switch, Qt.MouseButton.LeftButton)
    log_in(qtbot, window, NAMES[Role.CHECK_IN])
    assert visible_pages(window) == ["checkin"] and window.current_page() == "checkin"
    assert county.operator.role == Role.CHECK_IN


def test_scans_keep_a_check_in_operator_unlocked(qtbot, county):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.CHECK_IN])
    page = window.pages["checkin"]
    window.idle_lock.set_minutes(0.005)  # 300 ms
    for _ in range(8):  # a scan every 100 ms for most of a second: more than the idle time
        qtbot.keyClicks(page.input, "123")
        qtbot.keyClick(page.input, Qt.Key.Key_Return)
        qtbot.wait(100)
        assert window.screens.currentWidget() is window.workspace
    qtbot.waitUntil(lambda: window.screens.currentWidget() is window.lock_screen, timeout=3000)


def test_the_audit_page_lists_views_and_exports_and_exports_them(qtbot, county, tmp_path):
    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.ADMIN])
    window.show_page("teachers")
    teachers_page = window.pages["teachers"]
    qtbot.waitUntil(lambda: teachers_page.table.model().rowCount() > 0)
    teachers_page.table.selectRow(0)
    dialog = teachers_page.open_file()
    assert dialog is not None
    with county.write() as session:
        export_teachers(session, TeacherFilter(), tmp_path / "名单.xlsx", full_numbers=True)
    window.show_page("audit")
    page = window.pages["audit"]
    page.end.setDate(page.end.date().addYears(5))  # the entries carry the PC's clock, not the demo's day
    page.start.setDate(page.start.date().addYears(-5))
    page.refresh()
    actions = {page.table.item(row, 3).text() for row in range(page.table.rowCount())}
    assert {"查看完整身份证号/手机号", "导出完整身份证号", "登录"} <= actions
    page.action.setCurrentIndex(page.action.findData("view_personal"))
    page.refresh()
    assert page.table.rowCount() == 1 and page.table.item(0, 1).text() == NAMES[Role.ADMIN]
    with county.read() as session:
        shown = session.get_one(Teacher, teachers_page.selected_ids()[0])
    assert shown.name in page.table.item(0, 4).text() and shown.id_number not in page.table.item(0, 4).text()
    out = tmp_path / "审计.xlsx"
    page.export_entries(out)
    rows = read_sheet(out).rows
    assert [cell.value for cell in rows[0]][:4] == ["时间", "操作员", "角色", "操作"]
    assert rows[1][3].value == "查看完整身份证号/手机号"


def test_an_administrator_annuls_an_integrity_record_from_the_teachers_file(qtbot, county):
    from sqlalchemy import select

    from desktop.db.models import AuditEntry, IntegrityRecord
    from desktop.services import teachers
    from desktop.ui.teacher_file_dialog import TeacherFileDialog

    with county.read() as session:
        record = session.scalars(select(IntegrityRecord).where(IntegrityRecord.deleted.is_(False))).first()
    context = QuietContext(county)
    for role, may in ((Role.STAFF, False), (Role.ADMIN, True)):
        accounts.login(county, NAMES[role], DEMO_PASSWORD)
        with county.write() as session:
            shown = teachers.teacher_file(session, record.teacher_id, today=DEMO_TODAY)
        dialog = TeacherFileDialog(None, shown, context=context)
        qtbot.addWidget(dialog)
        assert hasattr(dialog, "annul_button") is may
    row = [line.id for line in shown.integrity].index(record.id)
    dialog.integrity.selectRow(row)
    assert not dialog.annul_selected(reason="")  # a reason is required: refused, shown as a warning
    assert "须写明理由" in str(context.errors[-1])
    assert dialog.annul_selected(reason="申诉成立：因公出差")
    assert dialog.integrity.item(row, 0).text() == "已撤销"
    with county.read() as session:
        assert session.get_one(IntegrityRecord, record.id).deleted
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "integrity_annul")).one()
    assert entry.actor == NAMES[Role.ADMIN] and entry.detail["reason"] == "申诉成立：因公出差"


def test_exchange_buttons_and_report_exports_refuse_roles_without_the_permission(qtbot, county, tmp_path):
    from desktop.ui.statistics_page import StatisticsPage
    from desktop.ui.sync_page import SyncPage

    create_application([])
    for role in (Role.CHECK_IN, Role.READER):
        accounts.login(county, NAMES[role], DEMO_PASSWORD)
        context = QuietContext(county)
        page = SyncPage(context)
        qtbot.addWidget(page)
        for button in (page.exchange.export_button, page.exchange.import_button):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # refused before any file dialog opens
            assert isinstance(context.errors[-1], PermissionDenied)
            assert f"{NAMES[role]}（{role.label}）没有“导入导出交换文件”的权限" in str(context.errors[-1])
        assert len(context.errors) == 2
    accounts.login(county, NAMES[Role.CHECK_IN], DEMO_PASSWORD)
    context = QuietContext(county)
    statistics = StatisticsPage(context)
    qtbot.addWidget(statistics)
    statistics.export("coverage", tmp_path / "覆盖.xlsx")
    assert "没有“查看名单和报表”的权限" in str(context.errors[-1])
    assert not (tmp_path / "覆盖.xlsx").exists()


def test_an_administrator_corrects_an_integrity_record_from_the_teachers_file(qtbot, county):
    import datetime as dt

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from desktop.db.models import AuditEntry, IntegrityRecord
    from desktop.services import teachers
    from desktop.ui.integrity_correction_dialog import IntegrityCorrectionDialog
    from desktop.ui.teacher_file_dialog import TeacherFileDialog
    from guopei_common.vocab import IntegrityKind

    with county.read() as session:
        record = session.scalars(select(IntegrityRecord).where(IntegrityRecord.deleted.is_(False))).first()
    context = QuietContext(county)
    for role, may in ((Role.STAFF, False), (Role.ADMIN, True)):
        accounts.login(county, NAMES[role], DEMO_PASSWORD)
        with county.write() as session:
            shown = teachers.teacher_file(session, record.teacher_id, today=DEMO_TODAY)
        dialog = TeacherFileDialog(None, shown, context=context)
        qtbot.addWidget(dialog)
        assert hasattr(dialog, "correct_button") is may
    row = [line.id for line in shown.integrity].index(record.id)
    dialog.integrity.selectRow(row)
    other = next(kind for kind in IntegrityKind if kind.value != record.kind)
    later = record.ban_until + dt.timedelta(days=30)

    # Through the dialog a person sees: the record's values filled in, a reason typed, 更正 pressed.
    def fill_in() -> None:
        correction = QApplication.activeModalWidget()
        assert isinstance(correction, IntegrityCorrectionDialog)
        assert correction.kind.currentData() == record.kind
        assert correction.ban_until.date().toPython() == record.ban_until
        correction.kind.setCurrentIndex(correction.kind.findData(other.value))
        correction.ban_until.setDate(later)
        correction.reason.setPlainText("录入时类型选错")
        correction.accept()

    QTimer.singleShot(0, fill_in)
    assert dialog.correct_selected()
    assert dialog.integrity.item(row, 0).text() == other.label
    assert dialog.integrity.item(row, 2).text() == str(later)
    assert not dialog.correct_selected(kind=other, ban_until=later, reason=" ")  # a reason is required
    assert "须写明理由" in str(context.errors[-1])
    with county.read() as session:
        corrected = session.get_one(IntegrityRecord, record.id)
        assert (corrected.kind, corrected.ban_until, corrected.deleted) == (other.value, later, False)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "integrity_correct")).one()
    assert entry.actor == NAMES[Role.ADMIN] and entry.detail["reason"] == "录入时类型选错"
    assert entry.detail["before"]["ban_until"] == record.ban_until.isoformat()


def test_the_idle_lock_covers_an_open_dialog_and_keeps_it(qtbot, county):
    from PySide6.QtWidgets import QApplication, QLabel

    window = open_window(qtbot, county)
    log_in(qtbot, window, NAMES[Role.STAFF])
    window.show_page("teachers")
    page = window.pages["teachers"]
    qtbot.waitUntil(lambda: page.table.model().rowCount() > 0)
    page.table.selectRow(0)
    dialog = page.open_file()  # modal, the full ID number on it
    qtbot.waitUntil(dialog.isVisible)
    tabs = dialog.integrity.parentWidget()
    while not hasattr(tabs, "setCurrentIndex"):
        tabs = tabs.parentWidget()
    tabs.setCurrentIndex(1)
    dialog.credits.selectRow(0)
    chosen = [index.row() for index in dialog.credits.selectionModel().selectedRows()]

    window.idle_lock.set_minutes(0.002)  # 120 ms, for the test
    qtbot.waitUntil(lambda: window.modal_lock.dialog is not None, timeout=3000)
    window.idle_lock.set_minutes(10)
    lock = window.modal_lock.dialog
    assert QApplication.activeModalWidget() is lock and lock.isVisible()
    assert window.screens.currentWidget() is window.lock_screen
    # The dialog stays open, its contents under an opaque sheet the size of the dialog.
    (cover,) = [cover for cover in window.modal_lock.covers if cover.parentWidget() is dialog]
    assert dialog.isVisible() and cover.isVisible() and cover.geometry() == dialog.rect()
    assert dialog.childAt(dialog.rect().center()) in (cover, *cover.findChildren(object))
    assert not window.modal_lock.screen.switch.isVisibleTo(lock)  # only the same operator opens it
    lock.reject()  # Esc does not get past it
    assert lock.isVisible()

    window.modal_lock.screen.password.setText("wrong-one")
    window.modal_lock.screen.submit()
    assert lock.isVisible() and "账户名或密码不对" in window.modal_lock.screen.message.text()
    window.modal_lock.screen.password.setText(DEMO_PASSWORD)
    window.modal_lock.screen.submit()
    qtbot.waitUntil(lambda: not lock.isVisible())
    assert window.modal_lock.dialog is None and window.screens.currentWidget() is window.workspace
    assert dialog.isVisible() and dialog.result() == 0 and tabs.currentIndex() == 1
    assert [index.row() for index in dialog.credits.selectionModel().selectedRows()] == chosen
    assert QApplication.activeModalWidget() is dialog
    qtbot.waitUntil(lambda: not dialog.findChildren(QLabel, "lockCover"))  # the sheet is gone
