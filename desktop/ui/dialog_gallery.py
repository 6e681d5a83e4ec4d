"""Every dialog of the app, opened on the county's own data: for screenshots, and for the check that
each one fits the screen it opens on (its buttons never below the taskbar). Nothing is saved from them;
the one teacher's file opened shows a full ID number, and that view is in the audit log like any other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QScrollArea

from desktop.services import projects
from desktop.ui.backup_page import PasswordDialog
from desktop.ui.import_dialog import ImportDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.project_dialog import ProjectDialog
from desktop.ui.schedule_dialog import ScheduleDialog
from desktop.ui.schools_page import SchoolDialog
from desktop.ui.sync_status import RegisterDialog
from desktop.ui.teacher_dialog import TeacherDialog
from guopei_common.idnumber import make_id_number


def sample_dialogs(window: MainWindow, scratch: Path) -> Iterator[tuple[str, QDialog]]:
    """Open each dialog in turn (the caller closes it before asking for the next). A dialog that needs
    data the county does not have yet (no certificate issued, no session today) is left out."""
    context = window.context
    today = context.today()

    def nothing(_form: object) -> None:
        """The dialogs' save callbacks: nothing is saved from a gallery."""

    yield "dialog-project", ProjectDialog(window, save=nothing, initial=None, today=today)
    window.show_page("projects")
    project = window.pages["projects"].current_project()
    if project is not None:
        classes = [(row[0], row[1]) for row in context.read(projects.class_rows, project.id)]
        if classes:
            yield "dialog-schedule", ScheduleDialog(window, classes=classes, first_day=today)

    window.show_page("teachers")
    teachers_page = window.pages["teachers"]
    yield "dialog-teacher", TeacherDialog(window, schools=teachers_page._schools(), save=nothing)
    teachers_page.table.selectRow(0)
    if teachers_page.selected_ids():
        yield "dialog-teacher-file", teachers_page.open_file()
    yield "dialog-import", ImportDialog(window, context, _sample_roster(scratch, today))

    yield "dialog-school", SchoolDialog(window, save=nothing, initial=None)

    window.show_page("checkin")
    sheet = window.pages["checkin"].enter_paper_sheet()
    if sheet is not None:
        yield "dialog-paper-sheet", sheet

    window.show_page("certificates")
    certificates_page = window.pages["certificates"]
    for index in range(certificates_page.project.count()):  # the first project with certificates
        certificates_page.project.setCurrentIndex(index)
        if certificates_page.rows:
            break
    certificates_page.table.selectRow(0)
    preview = certificates_page.preview_selected()
    if preview is not None:
        yield "dialog-certificate-preview", preview

    yield "dialog-register", RegisterDialog(window)
    yield "dialog-backup-password", PasswordDialog(window, changing=True)


def _sample_roster(scratch: Path, today: dt.date) -> Path:
    """A small roster file as a school sends it, one row with a mistake, for the import dialog."""
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "示例花名册.csv"
    rows = ["姓名,身份证号,性别,学校,手机"]
    for n, name in enumerate(("王小红", "李明", "张华")):
        number = make_id_number(
            region_code="522727", birth_date=dt.date(1985 + n, 3, 1), sequence=n, gender="2" if n % 2 else "1"
        )
        rows.append(f"{name},{number},{'女' if n % 2 else '男'},平塘县第一中学,1380000000{n}")
    rows.append("赵六,52272719900101001,男,平塘县第一中学,")  # 17 digits: refused, with the reason
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def buttons_off_screen(dialog: QDialog) -> list[str]:
    """The buttons of the dialog's button row (not those inside its scrolling body) that do not lie
    wholly on the available screen."""
    QApplication.processEvents()
    screen = dialog.screen().availableGeometry()
    bodies = dialog.findChildren(QScrollArea)
    lost = []
    for button in dialog.findChildren(QAbstractButton):
        if not button.isVisibleTo(dialog) or any(body.isAncestorOf(button) for body in bodies):
            continue
        if button.parent() is not None and isinstance(button.parentWidget(), QScrollArea):
            continue
        area = QRect(button.mapToGlobal(button.rect().topLeft()), button.size())
        if not screen.contains(area):
            lost.append(button.text() or button.objectName() or type(button).__name__)
    return lost
