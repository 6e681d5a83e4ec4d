"""签到: the check-in screen at the door. One always-focused input takes a badge scan, an ID number
(typed or from a card reader in keyboard mode) or a name/pinyin; the answer is large enough to read
from a metre away, and green is shown only after the row is committed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import GuopeiError
from desktop.services import attendance_documents, checkin
from desktop.services.checkin import GOOD, WARN, Outcome, ScanResult, SessionInfo
from desktop.ui import sounds
from desktop.ui.context import AppContext, Changes
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.operations import Op
from desktop.ui.paper_sheet_dialog import PaperSheetDialog
from guopei_common.vocab import AttendanceStatus

MISSING = (None, AttendanceStatus.ABSENT.value)  # statuses listed in 未到名单
COLOURS = {"good": ("#1e8449", "#e9f7ef"), "warn": ("#b9770e", "#fef5e7"), "bad": ("#b03a2e", "#fdedec")}


def _kind(outcome: Outcome) -> str:
    return "good" if outcome in GOOD else "warn" if outcome in WARN else "bad"


class CheckInPage(QWidget):
    WATCHED = ("training_sessions", "projects", "enrollments")

    def __init__(self, context: AppContext, *, clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        super().__init__()
        self.context = context
        self.clock = clock
        self.sessions: list[SessionInfo] = []
        self.sign_out = False
        self.last: tuple[str, str, bool] | None = None  # (session, enrollment, was sign-out) for undo
        self.pending: tuple = ()  # choices offered for an ambiguous name
        self._missing_ids: list[str] = []  # enrollment ids of the missing list, row by row
        self._statuses: dict[str, str | None] = {}  # the roll: each expected trainee's status

        self.picker = QComboBox()
        # Session labels run long (time, project, class, venue): the list shows them whole, the box
        # keeps the page within a small screen.
        self.picker.setMinimumContentsLength(24)
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.currentIndexChanged.connect(self.session_changed)
        self.mode = QLabel()
        self.mode.setObjectName("sectionTitle")
        top = QHBoxLayout()
        title = QLabel(self.tr("签到"))
        title.setObjectName("pageTitle")
        top.addWidget(title)
        top.addWidget(self.picker, 1)
        top.addWidget(self.mode)

        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("扫学员证二维码，或输入身份证号、姓名、拼音，按回车"))
        self.input.setObjectName("scanInput")
        self.input.returnPressed.connect(self.submit)
        # Ctrl+Z in the input would undo its text (the field is cleared after every scan anyway);
        # at the door it means "undo the last scan".
        self.input.installEventFilter(self)

        self.feedback = QFrame()
        self.feedback.setObjectName("feedback")
        self.headline = QLabel(self.tr("请扫码"))
        self.headline.setObjectName("checkinHeadline")
        self.detail = QLabel()
        self.detail.setObjectName("checkinDetail")
        self.detail.setWordWrap(True)
        box = QVBoxLayout(self.feedback)
        box.addStretch(1)
        for label in (self.headline, self.detail):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(label)
        box.addStretch(1)
        self.choices = QListWidget()
        self.choices.setObjectName("checkinChoices")
        self.choices.setVisible(False)
        self.choices.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.figures: dict[str, QLabel] = {}
        figures = QGridLayout()
        for column, (key, caption) in enumerate(
            (
                ("expected", "应到"),
                ("present", "已到"),
                ("late", "迟到"),
                ("missing", "未到"),
                ("excused", "请假"),
            )
        ):
            value = QLabel("00000")
            value.setObjectName("rollValue")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # A fixed size, room for five digits: a count that grows a digit would otherwise lay the
            # whole page out again and repaint it, after every scan.
            value.ensurePolished()
            value.setFixedSize(value.sizeHint())
            value.setText("0")
            label = QLabel(self.tr(caption))
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            figures.addWidget(value, 0, column, Qt.AlignmentFlag.AlignHCenter)
            figures.addWidget(label, 1, column)
            self.figures[key] = value
        # A string-list model, filled in one call: the roll is redrawn after every scan, and adding
        # hundreds of list items one by one would cost more than the scan itself.
        self.missing_model = QStringListModel()
        self.missing = QListView()
        # Every line is one line of text: without this the view measures all 2,000 lines again each
        # time one is removed, which took longer than the scan.
        self.missing.setUniformItemSizes(True)
        self.missing.setModel(self.missing_model)
        self.missing.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        roll_box = QVBoxLayout()
        roll_box.addLayout(figures)
        roll_box.addWidget(QLabel(self.tr("未到名单")))
        roll_box.addWidget(self.missing, 1)

        buttons = FlowLayout()
        for caption, slot, key in (
            (self.tr("签到模式（F5）"), lambda: self.set_sign_out(False), "F5"),
            (self.tr("签退模式（F6）"), lambda: self.set_sign_out(True), "F6"),
            (self.tr("撤销上一次（Ctrl+Z）"), self.undo_last, "Ctrl+Z"),
            (self.tr("请假…（F7）"), self.excuse_selected, "F7"),
            (self.tr("打印签到表…"), self.print_sign_in_sheet, ""),
            (self.tr("补录纸质签到表…"), self.enter_paper_sheet, ""),
            (self.tr("打印学员证…"), self.print_badges, ""),
        ):
            button = QPushButton(caption)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the input keeps the keyboard
            button.clicked.connect(slot)
            if key:
                QShortcut(QKeySequence(key), self, activated=slot)
            buttons.addWidget(button)
        for index in range(9):  # Alt+1 … Alt+9: pick today's session in one keystroke
            QShortcut(QKeySequence(f"Alt+{index + 1}"), self, activated=lambda i=index: self.pick(i))

        left = QVBoxLayout()
        left.addWidget(self.input)
        left.addWidget(self.feedback, 1)
        left.addWidget(self.choices)
        left.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(roll_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        # Whatever was clicked, the next scan goes to the input.
        self._refocus = QTimer(self, interval=500, timeout=self._keep_focus)
        self._refocus.start()
        context.changed.connect(self.on_changes)
        self.set_sign_out(False)
        self.load_sessions()

    # --- sessions -----------------------------------------------------------------------------
    def load_sessions(self) -> None:
        now = self.clock()
        self.sessions = self.context.read(checkin.sessions_on, now.date())
        current = checkin.current_session(self.sessions, now)
        self.picker.blockSignals(True)
        self.picker.clear()
        for number, info in enumerate(self.sessions, start=1):
            self.picker.addItem(f"Alt+{number}  {info.label()}" if number <= 9 else info.label(), info.id)
        if not self.sessions:
            self.picker.addItem(self.tr("今天没有安排课次"), None)
        self.picker.setCurrentIndex(self.sessions.index(current) if current else 0)
        self.picker.blockSignals(False)
        self.session_changed()

    def pick(self, index: int) -> None:
        if index < len(self.sessions):
            self.picker.setCurrentIndex(index)

    def current(self) -> SessionInfo | None:
        session_id = self.picker.currentData()
        return next((info for info in self.sessions if info.id == session_id), None)

    def session_changed(self) -> None:
        self.last = None
        self.pending = ()
        self.choices.setVisible(False)
        info = self.current()
        self.input.setEnabled(info is not None)
        self.show_result(None)
        self.refresh_roll()
        self.input.setFocus()

    def on_changes(self, changes: Changes) -> None:
        if changes.initiator is self:
            return  # a scan, undo or leave here: this page has already redrawn what it changed
        if changes.touches("training_sessions", "projects"):  # a session's info holds project dates
            self.load_sessions()
        elif changes.touches(*self.WATCHED):
            self.refresh_roll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Undo)
        ):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()  # the key press comes to the input (and to this filter), not to a shortcut
                return True
            if event.type() == QEvent.Type.KeyPress:
                self.undo_last()
                return True
        return super().eventFilter(watched, event)

    def set_sign_out(self, value: bool) -> None:
        self.sign_out = value
        self.mode.setText(self.tr("当前：签退") if value else self.tr("当前：签到"))
        # The big panel says the mode too: a class teacher looks there, not at the corner.
        self.show_result(None)
        self.input.setFocus()

    def _keep_focus(self) -> None:
        if self.isVisible() and self.window().isActiveWindow() and not self.input.hasFocus():
            self.input.setFocus()

    # --- scanning -----------------------------------------------------------------------------
    def submit(self) -> None:
        text = self.input.text()
        self.input.clear()
        info = self.current()
        if info is None or not text.strip():
            return
        # On the UI thread, the one documented exception to the background lane: green is shown only
        # once the row is committed, within the 20 ms the door allows. The operation announces what the
        # scan changed (attendance, the outbox, an arriving trainee's enrollment) after the screen says so.
        Op(
            self,
            self.context,
            checkin.at_door,
            info,
            text,
            choices=self.pending,
            now=self.clock(),
            sign_out=self.sign_out,
        ).success(lambda result: self._scanned(info, result)).failure(self._not_saved).run()

    def _scanned(self, info: SessionInfo, result: ScanResult) -> None:
        # The transaction is committed here: only now may the screen say so.
        self.pending = result.choices
        if result.outcome in (Outcome.CHECKED_IN, Outcome.LATE, Outcome.SIGNED_OUT, Outcome.LEFT_EARLY):
            self.last = (info.id, result.enrollment_id or "", self.sign_out)
        self.show_result(result)
        self.update_roll(result)

    def _not_saved(self, error: BaseException) -> None:
        # Nothing was saved (the error was shown and, if a bug, logged): say so in red, never green.
        self.show_result(
            ScanResult(Outcome.NOT_FOUND, self.tr("未保存！"), self.tr("保存失败，请重试：") + str(error))
        )

    def show_result(self, result: ScanResult | None) -> None:
        if result is None:
            info = self.current()
            if self.sign_out:
                self.headline.setText(self.tr("签退：请扫码"))
                self.detail.setText(
                    self.tr("签退模式（按 F5 回到签到）") + (f"\n{info.label()}" if info else "")
                )
                self._set_panel_style(
                    "#feedback { background: #eef4fb; border: 4px solid #3d6a96; border-radius: 8px; }"
                    "QLabel { color: #24415f; }"
                )
                return
            self.headline.setText(self.tr("请扫码"))
            self.detail.setText(info.label() if info else "")
            self._set_panel_style(
                "#feedback { background: white; border: 2px solid #d5dde6; border-radius: 8px; }"
            )
            return
        kind = _kind(result.outcome)
        border, background = COLOURS[kind]
        # Setting a style sheet re-polishes the panel and its labels: only when the colour changes.
        self._set_panel_style(
            f"#feedback {{ background: {background}; border: 4px solid {border}; border-radius: 8px; }}"
            f"QLabel {{ color: {border}; }}"
        )
        self.headline.setText(result.headline)
        self.detail.setText(result.detail)
        if result.choices or self.choices.isVisible():
            self.choices.clear()
            for number, choice in enumerate(result.choices, start=1):
                self.choices.addItem(f"{number}  {choice.label()}")
            self.choices.setVisible(bool(result.choices))
        sounds.play(kind)

    def _set_panel_style(self, sheet: str) -> None:
        if self.feedback.styleSheet() != sheet:
            self.feedback.setStyleSheet(sheet)

    def refresh_roll(self) -> None:
        """Read the whole roll: when the session changes, after an undo, a leave or paper marks."""
        info = self.current()
        self._statuses = {}
        if info is None:
            for label in self.figures.values():
                label.setText("0")
            self.missing_model.setStringList([])
            self._missing_ids = []
            return
        roll = self.context.read(checkin.roll, info.id)
        self._statuses = {line.enrollment_id: line.status for line in roll.lines}
        self.missing_model.setStringList([f"{line.name}  {line.school}" for line in roll.missing])
        self._missing_ids = [line.enrollment_id for line in roll.missing]
        self._show_counts()

    def update_roll(self, result: ScanResult) -> None:
        """After a scan: the one trainee's line and the counts, without reading the class again (at
        2,000 trainees that read and redraw took four times the scan itself)."""
        enrollment_id = result.enrollment_id
        if result.status is None or enrollment_id is None:
            return  # nothing was stored
        if enrollment_id not in self._statuses:
            self.refresh_roll()  # someone the roll did not hold (enrolled since it was read)
            return
        self._statuses[enrollment_id] = result.status
        if result.status not in MISSING and enrollment_id in self._missing_ids:
            row = self._missing_ids.index(enrollment_id)
            del self._missing_ids[row]
            self.missing_model.removeRows(row, 1)
        self._show_counts()

    def _show_counts(self) -> None:
        counts = Counter(self._statuses.values())
        present = sum(counts[status] for status in checkin.PRESENT)
        for key, value in (
            ("expected", len(self._statuses)),
            ("present", present),
            ("late", counts[AttendanceStatus.LATE.value]),
            ("missing", sum(counts[status] for status in MISSING)),
            ("excused", counts[AttendanceStatus.EXCUSED.value]),
        ):
            self.figures[key].setText(str(value))

    # --- corrections --------------------------------------------------------------------------
    def undo_last(self) -> None:
        if self.last is None:
            return
        session_id, enrollment_id, was_sign_out = self.last

        def undone(result: ScanResult) -> None:
            self.last = None
            self.show_result(result)
            self.refresh_roll()

        undo = Op(self, self.context, checkin.undo, session_id, enrollment_id, sign_out=was_sign_out)
        undo.success(undone).run()

    def excuse_selected(self, reason: str | None = None) -> None:
        info, row = self.current(), self.missing.currentIndex().row()
        if info is None or row < 0:
            self.context.inform(self, self.tr("请假"), self.tr("请先在右侧未到名单中选中请假的学员。"))
            return
        if reason is None:
            reason, ok = QInputDialog.getText(self, self.tr("请假"), self.tr("请假原因："))
            if not ok:
                return
        enrollment_id = self._missing_ids[row]
        excuse = Op(
            self, self.context, checkin.excuse, info.id, enrollment_id, reason=reason, now=self.clock()
        )
        excuse.success(self._excused).run()

    def _excused(self, result: ScanResult) -> None:
        self.show_result(result)
        self.refresh_roll()

    # --- paper -------------------------------------------------------------------------------
    def _save_pdf(self, title: str, suggested: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(self, title, suggested, "PDF (*.pdf)")
        return Path(chosen) if chosen else None

    def print_sign_in_sheet(self, out: Path | None = None) -> None:
        info = self.current()
        if info is None:
            return
        out = out or self._save_pdf(self.tr("保存签到表"), f"签到表-{info.class_name}-{info.date}.pdf")
        if out is None:
            return
        try:
            count = self.context.read(attendance_documents.write_sign_in_sheet, info.id, out)
        except GuopeiError as error:
            self.context.report_error(self, error)
            return
        self._opened(out, self.tr("签到表（{n} 人）已保存：{path}").format(n=count, path=out))

    def print_badges(self, out: Path | None = None) -> None:
        info = self.current()
        if info is None:
            return
        out = out or self._save_pdf(self.tr("保存学员证"), f"学员证-{info.class_name}.pdf")
        if out is None:
            return
        try:
            count = self.context.read(attendance_documents.write_badges, info.class_id, out)
        except GuopeiError as error:
            self.context.report_error(self, error)
            return
        self._opened(out, self.tr("{n} 张学员证已保存：{path}").format(n=count, path=out))

    def _opened(self, path: Path, message: str) -> None:
        """Open the PDF in the system's viewer, from which it is printed; tell the user where it is."""
        self.context.inform(self, self.tr("打印"), message)
        self.context.open_file(path)

    def enter_paper_sheet(self) -> PaperSheetDialog | None:
        info = self.current()
        if info is None:
            return None
        sheet, order = self.context.read(attendance_documents.sheet_of, info.id)
        dialog = PaperSheetDialog(self, sheet, order)
        dialog.accepted.connect(lambda: self.save_paper_marks(info.id, dialog.marks))
        dialog.open()
        return dialog

    def save_paper_marks(self, session_id: str, marks: dict) -> None:
        def saved(written: int) -> None:
            self.refresh_roll()
            self.context.inform(
                self, self.tr("补录纸质签到表"), self.tr("已录入 {n} 人的签到标记。").format(n=written)
            )

        record = Op(self, self.context, attendance_documents.record_paper_marks, session_id, marks)
        record.success(saved).run()
