"""The main window on the demo county: Chinese text, and dashboard figures that match the database."""

from __future__ import annotations

from sqlalchemy import func, select

from desktop.db.models import OutboxEntry, Project, School, Teacher, TrainingSession
from desktop.ui.app import create_application
from desktop.ui.context import AppContext, Changes
from desktop.ui.main_window import MainWindow
from tests.conftest import DEMO_TODAY


def open_window(qtbot, db) -> MainWindow:
    create_application([])
    window = MainWindow(AppContext(db, today=lambda: DEMO_TODAY))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def test_dashboard_figures_match_the_database(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    page = window.pages["dashboard"]
    with demo_db.read() as session:
        teachers = session.scalar(
            select(func.count()).select_from(Teacher).where(Teacher.employment_status == "active")
        )
        schools = session.scalar(select(func.count()).select_from(School))
        running = session.scalar(select(func.count()).select_from(Project).where(Project.status == "running"))
        today = session.scalar(
            select(func.count()).select_from(TrainingSession).where(TrainingSession.date == DEMO_TODAY)
        )
        waiting = session.scalar(select(func.count()).select_from(OutboxEntry))
    shown = {key: int(card.value.text().replace(",", "")) for key, card in page.cards.items()}
    assert shown == {
        "teachers": teachers,
        "schools": schools,
        "projects_running": running,
        "sessions_today": today,
        "changes_waiting": waiting,
    }
    assert today > 0 and page.sessions.rowCount() == today
    assert window.windowTitle() == "国培桌面端 — 平塘县"


def test_dashboard_refreshes_when_teachers_change(qtbot, tmp_path, demo_dir):
    import shutil

    from desktop.db.engine import open_database

    copy = tmp_path / "county"
    shutil.copytree(demo_dir, copy)
    db = open_database(copy)
    window = open_window(qtbot, db)
    page = window.pages["dashboard"]
    before = page.figures
    with db.write() as session:
        teacher = session.scalars(select(Teacher).where(Teacher.employment_status == "active").limit(1)).one()
        teacher.employment_status = "retired"
    window.context.announce(Changes(frozenset({"teachers"})))
    assert page.figures.teachers == before.teachers - 1
    assert page.figures.changes_waiting == before.changes_waiting + 1
    db.dispose()


def test_bundled_font_draws_chinese_and_extension_a(qtbot, demo_db):
    from PySide6.QtGui import QRawFont
    from PySide6.QtWidgets import QApplication

    from desktop.paths import CJK_FONT

    open_window(qtbot, demo_db)
    assert QApplication.font().family() == "WenQuanYi Zen Hei"
    # Glyph lookup in the bundled file itself (QRawFont.supportsCharacter misreports glyphs past
    # index ~20,000 of this font, so look the glyph indexes up instead): 0 would be "no glyph".
    raw = QRawFont(str(CJK_FONT), 12)
    assert raw.familyName() == "WenQuanYi Zen Hei"
    assert all(raw.glyphIndexesForString("国培桌面端首页䶮㛃"))
