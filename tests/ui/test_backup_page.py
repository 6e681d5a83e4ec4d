"""The 备份 page and the status area on a real county: a password, a backup made by a click and listed,
restore in the running app after a confirmation that says what is lost, and the backup's age."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from desktop.db import backup
from desktop.db.engine import DB_FILENAME, create_database
from desktop.db.models import School
from desktop.ui.app import create_application
from desktop.ui.backup_page import BackupPage
from desktop.ui.backup_status import backup_age_text
from desktop.ui.launcher import Launcher
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from tests.conftest import QuietContext


def county(data_dir: Path, *schools: str):
    db = create_database(data_dir, county_code="522727", county_name="平塘县")
    add_schools(db, *schools)
    return db


def add_schools(db, *names: str) -> None:
    with db.write() as session:
        session.add_all(School(name=name, county_code="522727", township="平舟镇") for name in names)


def school_names(db) -> list[str]:
    with db.read() as session:
        return sorted(s.name for s in session.query(School))


def test_backup_now_is_listed_and_the_page_warns_without_a_password(qtbot, tmp_path):
    create_application([])
    db = county(tmp_path, "平塘县第一中学")
    context = QuietContext(db)
    page = BackupPage(context)
    qtbot.addWidget(page)
    assert "未设置" in page.password_state.text()
    assert not page.backup_button.isEnabled()
    assert page.password_button.text() == "设置备份密码…"

    backup.set_backup_password(tmp_path, "mima-2026")
    page.refresh()
    assert page.backup_button.isEnabled() and page.password_button.text() == "修改备份密码…"
    qtbot.mouseClick(page.backup_button, left())
    assert page.table.rowCount() == 1
    assert page.table.item(0, 3).text() == "通过"
    assert page.table.item(0, 1).text() == backup.REASON_LABELS[backup.REASON_MANUAL]
    assert "已备份并校验" in context.messages[-1]
    assert "今天" in page.latest.text()
    db.dispose()


def test_the_restore_warning_counts_what_this_pc_has_not_synced(qtbot, tmp_path):
    create_application([])
    db = county(tmp_path, "甲", "乙")
    page = BackupPage(QuietContext(db))
    qtbot.addWidget(page)
    text = page.restore_warning(dt.datetime(2026, 11, 30, 17, 5))
    assert "2026-11-30 17:05" in text
    assert "2 条修改尚未同步" in text
    assert "不会删除" in text
    assert "尚未连接省级平台" in text
    db.dispose()


def test_restore_in_the_running_app_swaps_the_county_and_keeps_the_old_file(qtbot, tmp_path):
    create_application([])
    db = county(tmp_path, "平塘县第一中学")
    db.dispose()
    backup.set_backup_password(tmp_path, "mima-2026")
    file = backup.create_backup(tmp_path, reason=backup.REASON_MANUAL).path

    start = Launcher(tmp_path, runner=TaskRunner(synchronous=True))
    window = start.start()
    qtbot.addWidget(window)
    assert isinstance(window, MainWindow)
    add_schools(window.context.db, "写在备份之后的学校")
    window.show_page("backup")

    window.context.restore_requested.emit(file, "mima-2026")

    restored = start.window
    assert isinstance(restored, MainWindow) and restored is not window
    qtbot.addWidget(restored)
    assert school_names(restored.context.db) == ["平塘县第一中学"]
    kept = sorted(p.name for p in tmp_path.glob(f"{DB_FILENAME}.replaced-*"))
    assert kept and kept[0].startswith(f"{DB_FILENAME}.replaced-")
    restored.backup_on_close = False
    restored.context.db.dispose()


def test_the_backup_age_turns_amber_after_seven_days():
    now = dt.datetime(2026, 12, 2, 9, 0)

    def age(*moment: int) -> tuple[str, bool]:
        return backup_age_text(dt.datetime(*moment), now=now, configured=True)

    assert backup_age_text(None, now=now, configured=False) == ("未设置备份密码，没有自动备份", True)
    assert backup_age_text(None, now=now, configured=True) == ("还没有备份", True)
    assert age(2026, 12, 2, 8, 10) == ("已备份 今天 08:10", False)
    assert age(2026, 11, 25, 9, 0) == ("上次备份 7 天前", False)
    assert age(2026, 11, 24, 8, 0) == ("上次备份 8 天前", True)


def test_the_status_area_shows_the_age_and_a_missing_second_folder(qtbot, tmp_path):
    from desktop.services import backups as backup_settings

    create_application([])
    db = county(tmp_path, "甲")
    with db.write() as session:
        backup_settings.set_second_folder(session, tmp_path / "U盘")
    window = MainWindow(QuietContext(db))
    qtbot.addWidget(window)
    status = window.backup_status
    assert "未设置备份密码" in status.label.text()
    assert "color" in status.label.styleSheet()
    assert status.problem.isVisibleTo(window) and "U盘" in status.problem.text()
    backup.set_backup_password(tmp_path, "mima-2026")
    (tmp_path / "U盘").mkdir()
    add_schools(db, "乙")  # the first write of the day starts the daily backup
    status.daily.wait(30)
    qtbot.waitUntil(lambda: "已备份 今天" in status.label.text(), timeout=5000)
    assert status.label.styleSheet() == ""
    assert list((tmp_path / "U盘").glob("*.gpbak"))
    window.backup_on_close = False
    db.dispose()


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
