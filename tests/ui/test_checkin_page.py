"""The check-in screen driven by keystrokes, as a scanner or a class teacher would type them."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from desktop.db.models import Attendance, Enrollment, Teacher, TrainingClass, TrainingSession
from desktop.domain.badge import badge_text
from desktop.domain.ids import natural_id
from desktop.domain.pinyin import name_pinyin
from desktop.ui.app import create_application
from desktop.ui.checkin_page import CheckInPage
from tests.conftest import DEMO_TODAY, QuietContext


class Clock:
    def __init__(self, hour: int, minute: int) -> None:
        self.now = dt.datetime.combine(DEMO_TODAY, dt.time(hour, minute))

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, hour: int, minute: int) -> None:
        self.now = dt.datetime.combine(DEMO_TODAY, dt.time(hour, minute))


@pytest.fixture
def door(qtbot, writable_demo):
    """The page on a morning session of today's class that has a sister class, at 08:25."""
    db = writable_demo
    with db.read() as session:
        morning = session.execute(
            select(TrainingSession, TrainingClass)
            .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
            .where(TrainingSession.date == DEMO_TODAY, TrainingSession.start_time == dt.time(8, 30))
        ).all()

        def size(class_row) -> int:
            return len(
                session.scalars(
                    select(Enrollment.id).where(
                        Enrollment.class_id == class_row.id,
                        Enrollment.status.in_(["publicised", "attending"]),
                    )
                ).all()
            )

        session_row, class_row = max(morning, key=lambda pair: size(pair[1]))
        expected = session.execute(
            select(Enrollment, Teacher)
            .join(Teacher, Enrollment.teacher_id == Teacher.id)
            .where(Enrollment.class_id == class_row.id, Enrollment.status.in_(["publicised", "attending"]))
            .order_by(Teacher.name_sort)
        ).all()
        sister = session.execute(
            select(Enrollment, Teacher)
            .join(Teacher, Enrollment.teacher_id == Teacher.id)
            .where(
                Enrollment.project_id == class_row.project_id,
                Enrollment.class_id != class_row.id,
                Enrollment.status.in_(["publicised", "attending"]),
            )
        ).first()
    create_application([])
    clock = Clock(8, 25)
    page = CheckInPage(QuietContext(db), clock=clock)
    qtbot.addWidget(page)
    page.resize(1196, 720)
    page.show()
    page.picker.setCurrentIndex(page.picker.findData(session_row.id))
    return page, clock, session_row, class_row, expected, sister


def scan(qtbot, page, text: str) -> None:
    qtbot.keyClicks(page.input, text)
    qtbot.keyClick(page.input, Qt.Key.Key_Return)


def attendance(db, session_id, enrollment_id):
    with db.read() as session:
        return session.get(Attendance, natural_id("attendance", session_id, enrollment_id))


def colour(page) -> str:
    return page.feedback.styleSheet()


def test_badge_check_in_then_repeat(qtbot, door):
    page, clock, session_row, class_row, expected, _ = door
    enrollment, teacher = expected[0]
    scan(qtbot, page, badge_text(enrollment.id, class_row.project_id))
    assert page.headline.text() == teacher.name and "签到成功 08:25" in page.detail.text()
    assert "#1e8449" in colour(page)  # green
    row = attendance(page.context.db, session_row.id, enrollment.id)
    assert (row.status, row.method, row.checked_in_at) == ("present", "badge", clock.now)
    clock.set(8, 40)
    scan(qtbot, page, badge_text(enrollment.id, class_row.project_id))
    assert "已签到（08:25）" in page.detail.text() and "#b03a2e" in colour(page)  # red
    assert page.input.text() == "" and page.input.hasFocus()


def test_id_number_after_the_grace_period_is_late(qtbot, door):
    page, clock, session_row, _, expected, _ = door
    enrollment, teacher = expected[1]
    clock.set(8, 52)
    scan(qtbot, page, teacher.id_number)
    assert "迟到 22 分钟" in page.detail.text() and "#b9770e" in colour(page)  # amber
    row = attendance(page.context.db, session_row.id, enrollment.id)
    # 22 of the session's 180 minutes missed cost their share of its 3 学时 (2.63, rounded down).
    assert (row.status, session_row.hours, row.hours) == ("late", 3, 2.63)
    assert "计 2.63 学时" in page.detail.text()
    assert page.figures["late"].text() == "1"


def test_pinyin_finds_the_trainee_or_offers_a_choice(qtbot, door):
    page, _, session_row, _, expected, _ = door
    enrollment, teacher = expected[2]
    scan(qtbot, page, name_pinyin(teacher.name).full)
    if page.choices.isVisible():  # a namesake in the project: pick from the numbered list
        number = next(i for i, c in enumerate(page.pending, start=1) if c.enrollment_id == enrollment.id)
        scan(qtbot, page, str(number))
    assert page.headline.text() == teacher.name
    assert attendance(page.context.db, session_row.id, enrollment.id).method == "name"


def test_wrong_class_other_project_and_forged_badges_are_refused(qtbot, door, writable_demo):
    page, _, session_row, class_row, _, sister = door
    enrollment, teacher = sister
    scan(qtbot, page, badge_text(enrollment.id, class_row.project_id))
    assert page.headline.text() == teacher.name and "属于" in page.detail.text()
    assert attendance(writable_demo, session_row.id, enrollment.id) is None
    with writable_demo.read() as session:
        other = session.scalars(
            select(Enrollment).where(Enrollment.project_id != class_row.project_id)
        ).first()
    scan(qtbot, page, badge_text(other.id, other.project_id))
    assert "不是本项目的" in page.detail.text()
    forged = badge_text(enrollment.id, "00000000-0000-0000-0000-000000000000")
    scan(qtbot, page, forged)
    assert page.headline.text() == "学员证无效"
    scan(qtbot, page, "GPB1.garbage.X")
    assert "#b03a2e" in colour(page)


def test_dismissed_trainee_is_refused_with_the_reason(qtbot, door, writable_demo):
    page, _, session_row, _class_row, expected, _ = door
    enrollment, teacher = expected[3]
    with writable_demo.write() as session:
        row = session.get(Enrollment, enrollment.id)
        row.status, row.status_reason = "dismissed", "不符合参训条件"
    scan(qtbot, page, teacher.id_number)
    assert "劝退：不符合参训条件" in page.detail.text()
    assert attendance(writable_demo, session_row.id, enrollment.id) is None


def test_a_scan_updates_its_line_and_the_counts_without_reading_the_class_again(
    qtbot, door, writable_demo, monkeypatch
):
    from desktop.services import checkin

    page, clock, _session_row, class_row, expected, _ = door
    total = len(expected)
    reads = []
    real_roll = checkin.roll
    monkeypatch.setattr(checkin, "roll", lambda *args: reads.append(args) or real_roll(*args))
    clock.set(8, 45)  # late
    scan(qtbot, page, badge_text(expected[2][0].id, class_row.project_id))
    scan(qtbot, page, badge_text(expected[2][0].id, class_row.project_id))  # a repeat changes nothing
    assert reads == []
    assert page.figures["present"].text() == "1" and page.figures["late"].text() == "1"
    assert page.figures["missing"].text() == str(total - 1)
    missing = page.missing_model.stringList()
    assert len(missing) == total - 1
    assert page._missing_ids == [e.id for e, _ in expected if e.id != expected[2][0].id]
    page.refresh_roll()  # what a full read shows is what the updates showed
    assert page.missing_model.stringList() == missing and page.figures["late"].text() == "1"


def test_roll_undo_excuse_and_sign_out(qtbot, door, writable_demo):
    page, clock, session_row, class_row, expected, _ = door
    total = len(expected)
    assert page.figures["expected"].text() == str(total)
    assert page.missing_model.rowCount() == total
    first, second = expected[0][0], expected[1][0]
    scan(qtbot, page, badge_text(first.id, class_row.project_id))
    scan(qtbot, page, badge_text(second.id, class_row.project_id))
    assert page.figures["present"].text() == "2" and page.missing_model.rowCount() == total - 2
    qtbot.keyClick(page, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.headline.text() == expected[1][1].name and "已撤销签到" in page.detail.text()
    assert attendance(writable_demo, session_row.id, second.id).deleted
    assert page.figures["present"].text() == "1"
    page.missing.setCurrentIndex(page.missing_model.index(0))
    page.excuse_selected("病假，有医院证明")
    assert page.figures["excused"].text() == "1"
    page.set_sign_out(True)
    clock.set(10, 40)
    scan(qtbot, page, badge_text(first.id, class_row.project_id))
    assert "早退 10:40" in page.detail.text() and "#b9770e" in colour(page)
    row = attendance(writable_demo, session_row.id, first.id)
    assert row.status == "left_early" and 0 < row.hours < 3


def test_printed_badges_scan_back_in_at_the_door(qtbot, door, tmp_path):
    import subprocess

    page, _, _session_row, _class_row, expected, _ = door
    out = tmp_path / "学员证.pdf"
    page.print_badges(out)
    assert page.context.opened == [out]
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True
    )
    png = next(tmp_path.glob("p*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True
    ).stdout.split()
    assert len(decoded) == min(8, len(expected))
    scan(qtbot, page, decoded[0])  # what the USB scanner types
    assert "签到成功" in page.detail.text()
    names = {teacher.name for _, teacher in expected}
    assert page.headline.text() in names


def test_sign_in_sheet_and_paper_marks(qtbot, door, tmp_path, writable_demo):
    import subprocess

    page, _, session_row, class_row, expected, _ = door
    first = expected[0][0]
    scan(qtbot, page, badge_text(first.id, class_row.project_id))  # a laptop scan before it failed
    out = tmp_path / "签到表.pdf"
    page.print_sign_in_sheet(out)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "签到表" in text and all(teacher.name in text for _, teacher in expected[:5])

    dialog = page.enter_paper_sheet()
    # 迟到 and 早退 ask how many minutes the sheet's times say: 45 for the one, then cancelled, then 30.
    answers = iter([45, None, 30])
    dialog.ask_minutes = lambda _name, _status: next(answers)
    dialog.table.setFocus()
    dialog.table.setCurrentCell(0, 3)
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_0):
        qtbot.keyClick(dialog.table, key)
    marks = [dialog.table.item(r, 3).text() for r in range(5)]
    assert marks == ["出勤", "迟到 45 分钟", "早退 30 分钟", "请假", "缺勤"]  # a cancel marks nothing
    assert dialog.table.currentRow() == 5
    dialog.accept()
    rows = [attendance(writable_demo, session_row.id, dialog.order[r]) for r in range(5)]
    assert [row.status for row in rows[1:]] == ["late", "left_early", "excused", "absent"]
    assert all(row.method == "paper" for row in rows[1:])
    # Late and early cost the minutes missed, by the presence rule (not the whole session's hours).
    start = dt.datetime.combine(session_row.date, session_row.start_time)
    end = dt.datetime.combine(session_row.date, session_row.end_time)
    length = (end - start).total_seconds() / 60
    assert rows[1].checked_in_at == start + dt.timedelta(minutes=45)
    assert rows[1].hours == int(session_row.hours * (length - 45) / length * 100) / 100 < session_row.hours
    assert rows[2].checked_out_at == end - dt.timedelta(minutes=30)
    assert rows[2].hours == int(session_row.hours * (length - 30) / length * 100) / 100 < session_row.hours
    assert "迟到 45 分钟" in rows[1].note
    # The laptop's scan of the first trainee is kept, not overwritten by the paper.
    assert dialog.order[0] == first.id and rows[0].method == "badge"
    assert "已录入" in page.context.messages[-1]


def test_ctrl_z_in_the_scan_field_undoes_the_last_scan_not_the_text(qtbot, door, writable_demo):
    page, _clock, session_row, class_row, expected, _ = door
    first = expected[0][0]
    scan(qtbot, page, badge_text(first.id, class_row.project_id))
    assert page.figures["present"].text() == "1"
    qtbot.keyClicks(page.input, "wang")  # something typed, as a person would before noticing
    qtbot.keyClick(page.input, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "已撤销签到" in page.detail.text()
    assert attendance(writable_demo, session_row.id, first.id).deleted
    assert page.figures["present"].text() == "0"


def test_sign_out_mode_is_said_in_the_big_panel(qtbot, door):
    page, *_ = door
    qtbot.keyClick(page.input, Qt.Key.Key_F6)
    assert page.headline.text() == "签退：请扫码"
    assert "F5" in page.detail.text()
    assert "#3d6a96" in page.feedback.styleSheet()
    qtbot.keyClick(page.input, Qt.Key.Key_F5)
    assert page.headline.text() == "请扫码"


def test_name_choices_say_each_trainees_class_and_its_times_this_class_first(qtbot, door):
    page, _clock, session_row, class_row, _expected, sister = door
    assert sister is not None  # the door's class has a sister class in the project
    sister_initial = sister[1].name_initials[0]
    scan(qtbot, page, sister_initial)
    assert page.choices.isVisible(), (page.headline.text(), page.detail.text())
    with page.context.db.read() as session:
        classes = {
            e.id: session.get(TrainingClass, e.class_id).name
            for e in session.scalars(select(Enrollment).where(Enrollment.project_id == class_row.project_id))
        }
    shown = [page.choices.item(i).text() for i in range(page.choices.count())]
    assert len(shown) == len(page.pending) >= 2
    for text, choice in zip(shown, page.pending, strict=True):
        assert choice.class_name == classes[choice.enrollment_id] and choice.class_name in text
        assert choice.when in text
    this_class = [c.class_name == class_row.name for c in page.pending]
    assert this_class == sorted(this_class, reverse=True)  # the session's own class comes first
    if any(this_class):
        mine = page.pending[this_class.index(True)]
        assert f"{session_row.start_time:%H:%M}–{session_row.end_time:%H:%M}" in mine.when


def test_a_check_in_announces_what_it_wrote_and_the_dashboard_counts_it_at_once(qtbot, door):
    """The scan's changes are read from its transaction: the attendance row, its outbox row and, for a
    trainee arriving for the first time, the enrollment (公示 → 参训中). The dashboard's 待同步 follows
    the same scan, not one behind."""
    from desktop.db.models import OutboxEntry
    from desktop.ui.dashboard_page import DashboardPage

    page, _, _, class_row, expected, _ = door
    dashboard = DashboardPage(page.context)
    qtbot.addWidget(dashboard)
    dashboard.show()
    heard: list = []
    page.context.changed.connect(heard.append)
    arriving = next((e for e, _ in expected if e.status == "publicised"), None)
    enrollment = arriving or expected[0][0]
    scan(qtbot, page, badge_text(enrollment.id, class_row.project_id))
    assert "签到成功" in page.detail.text()
    assert len(heard) == 1 and heard[0].touches("attendance", "outbox")
    assert heard[0].touches("enrollments") == (arriving is not None)
    assert heard[0].initiator is page

    def waiting() -> int:
        with page.context.db.read() as session:
            return session.scalar(select(func.count()).select_from(OutboxEntry))

    assert dashboard.figures.changes_waiting == waiting()
    # A dashboard nobody is looking at counts when it is shown, not at every scan.
    dashboard.hide()
    other = next(e for e, _ in expected if e.id != enrollment.id)
    scan(qtbot, page, badge_text(other.id, class_row.project_id))
    assert dashboard.figures.changes_waiting < waiting()
    dashboard.show()
    assert dashboard.figures.changes_waiting == waiting()
