"""The first-start page: a PC with no county opens it instead of an error, starts a county offline
from the GB/T 2260 table, and a damaged county is offered its ways back instead of being opened."""

from __future__ import annotations

from pathlib import Path

from desktop.db.engine import DB_FILENAME, create_database, open_database
from desktop.db.models import School
from desktop.ui import first_start
from desktop.ui.app import create_application
from desktop.ui.first_start import FirstStartPage
from desktop.ui.launcher import Launcher
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner


def launcher(qtbot, data_dir: Path) -> Launcher:
    create_application([])
    return Launcher(data_dir, runner=TaskRunner(synchronous=True))


def test_a_pc_without_a_county_opens_the_first_start_page(qtbot, tmp_path):
    start = launcher(qtbot, tmp_path)
    window = start.start()
    qtbot.addWidget(window)
    assert isinstance(window, FirstStartPage)
    buttons = [window.connect_button, window.offline_button, window.restore_button]
    assert [b.text()[:1] for b in buttons] == ["1", "2", "3"]
    assert all(b.isVisible() for b in buttons)
    assert not (tmp_path / DB_FILENAME).exists()


def test_offline_start_by_typed_code_builds_the_county_and_opens_the_roster(qtbot, tmp_path):
    start = launcher(qtbot, tmp_path)
    page = start.start()
    assert isinstance(page, FirstStartPage)
    qtbot.mouseClick(page.offline_button, qtbot_left())
    offline = page.offline_page
    assert page.stack.currentWidget() is offline
    offline.search.setText("522727")
    offline.search.returnPressed.emit()
    assert offline.province.currentText() == "贵州省"
    assert offline.city.currentText() == "黔南布依族苗族自治州"
    assert offline.county.currentData() == "522727"
    assert offline.centre.text() == "平塘县教师发展中心"
    assert "贵州省黔南布依族苗族自治州平塘县" in offline.message.text()
    offline.centre.setText("平塘县教师进修学校")
    qtbot.mouseClick(offline.create, qtbot_left())

    # The optional last step: the county's first administrator.
    admin = page.admin_page
    assert page.stack.currentWidget() is admin and page.section.text() == "建立管理员账户（推荐）"
    assert page.intro.text() == "本县的数据已就绪。"
    assert start.window is page
    page.back_to_choices()  # Esc: the county is built, there is no way back
    assert page.stack.currentWidget() is admin
    admin.name.setText("zhang")
    admin.password.setText("secret-1")
    admin.again.setText("secret-2")
    qtbot.mouseClick(admin.create, qtbot_left())
    assert "两次输入的密码不一致" in admin.message.text() and start.window is page
    admin.password.setText("123")
    admin.again.setText("123")
    qtbot.mouseClick(admin.create, qtbot_left())
    assert "密码至少 6 位" in admin.message.text()
    admin.password.setText("secret-1")
    admin.again.setText("secret-1")
    qtbot.mouseClick(admin.create, qtbot_left())

    window = start.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.context.db.device.county_code == "522727"
    assert window.screens.currentWidget() is window.lock_screen  # the county now asks for a login
    window.lock_screen.name.setText("zhang")
    window.lock_screen.password.setText("secret-1")
    window.lock_screen.submit()
    assert window.context.db.operator.name == "zhang" and window.context.db.operator.role.label == "管理员"
    window.show_page("teachers")
    assert window.stack.currentWidget() is window.pages["teachers"]
    window.context.db.dispose()


def test_an_unknown_name_is_explained_beside_the_field(qtbot, tmp_path):
    page = launcher(qtbot, tmp_path).start()
    qtbot.addWidget(page)
    page.offline_page.search.setText("平塘")
    page.offline_page.search.returnPressed.emit()
    # The one near name is selected for the person to confirm, never created unasked.
    assert page.offline_page.county.currentData() == "522727"
    assert "相近的有" in page.offline_page.message.text()
    assert not (tmp_path / DB_FILENAME).exists()


def test_a_damaged_county_is_not_opened_and_not_started_afresh(qtbot, tmp_path):
    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    with db.write() as session:
        session.add_all(School(name=f"学校{i}", county_code="522727", township="平舟镇") for i in range(200))
    db.dispose()
    path = tmp_path / DB_FILENAME
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xde\xad\xbe\xef" * 4096
    path.write_bytes(bytes(data))
    before = path.read_bytes()

    page = launcher(qtbot, tmp_path).start()
    qtbot.addWidget(page)
    assert isinstance(page, FirstStartPage)
    assert page.damaged is not None
    assert not page.offline_button.isVisible()
    assert "重新下载" in page.connect_button.text()
    assert path.read_bytes() == before


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_offline_county_opens_again_as_the_main_window(qtbot, tmp_path):
    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    db.dispose()
    window = launcher(qtbot, tmp_path).start()
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    window.context.db.dispose()
    open_database(tmp_path).dispose()


def backed_up_county(data_dir: Path) -> Path:
    """A county with one school, backed up with the password 'mima-2026'; returns the backup file."""
    from desktop.db import backup

    db = create_database(data_dir, county_code="522727", county_name="平塘县")
    with db.write() as session:
        session.add(School(name="平塘县第一中学", county_code="522727", township="平舟镇"))
    db.dispose()
    backup.set_backup_password(data_dir, "mima-2026")
    return backup.create_backup(data_dir, reason=backup.REASON_MANUAL).path


def test_a_new_pc_restores_a_backup_from_the_first_start_page(qtbot, tmp_path, monkeypatch):
    file = backed_up_county(tmp_path / "old-pc")
    start = launcher(qtbot, tmp_path / "new-pc")
    page = start.start()
    qtbot.addWidget(page)
    qtbot.mouseClick(page.restore_button, qtbot_left())
    restore = page.restore_page
    restore.file.setText(str(file))
    assert "平塘县（522727）" in restore.about.text()
    restore.password.setText("wrong-password")
    shown: list[str] = []
    monkeypatch.setattr(first_start, "show_error", lambda _parent, error, **_kw: shown.append(str(error)))
    qtbot.mouseClick(restore.start, qtbot_left())
    assert shown and "密码" in shown[0]
    assert not (tmp_path / "new-pc" / DB_FILENAME).exists()
    restore.password.setText("mima-2026")
    qtbot.mouseClick(restore.start, qtbot_left())
    qtbot.mouseClick(page.admin_page.skip, qtbot_left())  # a backup without accounts: the step is offered
    window = start.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    with window.context.db.read() as session:
        assert [s.name for s in session.query(School)] == ["平塘县第一中学"]
    window.backup_on_close = False
    window.context.db.dispose()


def test_offline_start_by_keyboard_alone(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    start = launcher(qtbot, tmp_path)
    page = start.start()
    qtbot.addWidget(page)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)  # shortcuts answer only in the active window
    qtbot.keyClick(page.connect_button, Qt.Key.Key_2)
    assert page.stack.currentWidget() is page.offline_page
    assert page.section.text() == "离线开始"
    qtbot.keyClicks(page.offline_page.search, "522727")
    qtbot.keyClick(page.offline_page.search, Qt.Key.Key_Return)
    assert page.offline_page.centre.hasFocus()
    qtbot.keyClick(page.offline_page.centre, Qt.Key.Key_Return)
    assert page.admin_page.name.hasFocus()
    qtbot.keyClick(page.admin_page.skip, Qt.Key.Key_Space)
    window = start.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.context.db.device.county_name == "平塘县"
    window.context.db.dispose()


def test_a_county_the_weekly_check_found_damaged_is_not_opened_again(qtbot, tmp_path):
    import datetime as dt

    from desktop.services import backups as backup_settings

    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    with db.write() as session:
        verdict = "row 7 missing from index ix_teachers_name_sort"
        backup_settings.record_integrity_check(session, verdict, now=dt.datetime(2026, 12, 1, 9, 0))
    db.dispose()
    page = launcher(qtbot, tmp_path).start()
    qtbot.addWidget(page)
    assert isinstance(page, FirstStartPage) and page.damaged is not None
    assert "ix_teachers_name_sort" in page.damaged.detail
    assert not page.offline_button.isVisible()
