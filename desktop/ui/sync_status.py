"""The sync status area, always visible at the bottom of the main window: online or not, the last
successful sync, changes waiting, the last error in plain Chinese, and the 同步 button (F9).

Sync runs on its own background lane, so a slow link never queues behind the database writer and
the window never freezes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.errors import GuopeiError
from desktop.services import sync_state, unit_of_work
from desktop.sync.app_release import NewerRelease, newer_release
from desktop.sync.client import SyncClient, register
from desktop.sync.credentials import Credentials, load_credentials, save_credentials
from desktop.sync.schedule import next_delay_ms
from desktop.ui.context import AppContext, Changes
from desktop.ui.server_address import pin_note, split_address
from desktop.ui.tasks import Reporter, TaskRunner
from desktop.ui.widgets import ok_cancel
from guopei_common.protocol import parse_registration, pinned_url


@dataclass(frozen=True)
class SyncOutcome:
    pushed: int
    rejected: int
    conflicts: int
    pulled: int
    bytes_sent: int  # bodies on the wire, compressed, for the whole sync
    bytes_received: int
    changes: Changes  # every table the sync's transactions wrote (pulled rows, the outbox, its own state)


def format_bytes(size: int) -> str:
    """12.3 KB, 4.5 MB: what a person compares with the county's data plan."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


CLOCK_TOLERANCE_MS = 5 * 60 * 1000


def clock_warning(skew_ms: int | None) -> str:
    """What the status area says when this PC's clock is off by more than five minutes (measured at
    the last push). Sync still works (the province clamps far-future stamps), but check-in times and
    dates printed on certificates come from this clock."""
    if skew_ms is None or abs(skew_ms) <= CLOCK_TOLERANCE_MS:
        return ""
    minutes = abs(skew_ms) // 60_000
    if minutes >= 2 * 24 * 60:
        amount = f"{minutes // (24 * 60)} 天"
    elif minutes >= 120:
        amount = f"{minutes // 60} 小时"
    else:
        amount = f"{minutes} 分钟"
    way = "快" if skew_ms > 0 else "慢"
    return f"本机时钟比省级平台{way}约 {amount}，请校正系统时间"


NOTES_SHOWN = 20  # characters of the release notes in the status area; all of them in its tooltip


def release_notice(release: NewerRelease) -> str:
    """有新版本 1.2.0：and the start of its notes, for the status area."""
    notes = release.notes.splitlines()[0] if release.notes else ""
    if len(notes) > NOTES_SHOWN:
        notes = notes[: NOTES_SHOWN - 1] + "…"
    return f"{release.notice}：{notes}" if notes else release.notice


def waiting_tooltip(count: int, *, registered: bool) -> str:
    """What 待同步 means; for a county that never connected, why the whole county is waiting."""
    if registered:
        return QCoreApplication.translate(
            "SyncStatus", "本机尚未上传到省级平台的修改（新增、修改、签到……），下次同步时自动上传。"
        )
    return QCoreApplication.translate(
        "SyncStatus",
        "这台电脑还没有连接过省级平台：本县的全部记录（教师、项目、报名、签到……共 {n} 条，演示县也一样）"
        "都在等待第一次上传，这是正常的。按 F9 连接省级平台后自动上传，数据不会重复。",
    ).format(n=f"{count:,}")


class RegisterDialog(QDialog):
    """First connection: the server address and the one-time code the province gave the county, typed
    or scanned from the province's registration QR code."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("连接省级平台"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://guopei.example.gov.cn")
        self.code = QLineEdit()
        self.code.setPlaceholderText("ABCD-EFGH-JKLM-NPQR")
        # The QR's certificate pin (#sha256=…) is kept here, not in the address field: a person reads
        # the address; the pin holds only while the address is the one it came with.
        self.pin: tuple[str, str] | None = None
        self.pinned = QLabel()
        form = QFormLayout(self)
        form.addRow(self.tr("服务器地址"), self.url)
        form.addRow("", self.pinned)
        form.addRow(self.tr("一次性注册码"), self.code)
        buttons = ok_cancel(self)
        form.addRow(buttons)
        # A scanned registration QR code (a USB scanner types its text into whichever field has the
        # focus) fills both fields.
        self.url.textChanged.connect(self._scanned)
        self.code.textChanged.connect(self._scanned)

        self._show_pin()

    def _scanned(self, text: str) -> None:
        found = parse_registration(text)
        if found is None:
            if "#" in self.url.text():  # an address typed or pasted with its pin
                self._take_pin(self.url.text())
            self._show_pin()
            return
        url, code = found
        self._take_pin(url)
        self.code.blockSignals(True)
        self.code.setText(code)
        self.code.blockSignals(False)
        self._show_pin()

    def _take_pin(self, url: str) -> None:
        address, fingerprint = split_address(url)
        self.pin = (address, fingerprint) if fingerprint else None
        self.url.blockSignals(True)
        self.url.setText(address)
        self.url.blockSignals(False)

    def _show_pin(self) -> None:
        pin = self.pin if self.pin is not None and self.pin[0] == self.url.text().strip() else None
        self.pinned.setText(pin_note(pin[1]) if pin else "")
        self.pinned.setVisible(pin is not None)

    def server_url(self) -> str:
        """The address to register with: the pin goes with it while it is the address the QR gave."""
        address = self.url.text().strip()
        if self.pin is not None and self.pin[0] == address:
            return pinned_url(address, self.pin[1])
        return address


class SyncStatus(QWidget):
    def __init__(self, context: AppContext, *, runner: TaskRunner | None = None) -> None:
        super().__init__()
        self.context = context
        # Its own lane: a sync waiting on a 2G link must never hold up a check-in being written.
        self.runner = runner or TaskRunner()
        self.state = QLabel()
        self.waiting = QLabel()
        self.traffic = QLabel()  # what the last sync cost on the wire: county links are often metered
        self.clock = QLabel()  # a warning when this PC's clock is far from the province's
        self.clock.setStyleSheet("color: #b45309;")
        self.release = QLabel()  # the province published a newer version of this program
        self.release.setStyleSheet("color: #1d4ed8;")
        self.button = QPushButton(self.tr("同步（F9）"))
        self.button.clicked.connect(self.sync_now)
        QShortcut(QKeySequence("F9"), self, activated=self.sync_now)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.waiting)
        layout.addWidget(self.traffic)
        layout.addWidget(self.clock)
        layout.addWidget(self.release)
        layout.addWidget(self.button)
        self.last_success: dt.datetime | None = None
        self.last_error = ""
        self.failures = 0
        self.syncing = False
        # Syncs by itself: soon after start, then on a schedule, backing off while offline.
        self._schedule = QTimer(self, singleShot=True, timeout=lambda: self.sync_now(automatic=True))
        self._schedule.start(5000)
        # Counting the outbox after every check-in would cost the queue at the door time; the count is
        # refreshed once things are quiet for a moment instead.
        self._later = QTimer(self, singleShot=True, interval=1500, timeout=self.refresh)
        context.changed.connect(lambda _changes: self._later.start())
        self.refresh()

    @property
    def data_dir(self) -> Path:
        return self.context.db.path.parent

    def refresh(self) -> None:
        facts = self.context.read(sync_state.status_facts)
        warning = clock_warning(facts.clock_skew)
        self.clock.setText(warning)
        self.clock.setVisible(bool(warning))
        release = newer_release(facts.published_release)
        self.release.setVisible(release is not None)
        if release is not None:
            self.release.setText(release_notice(release))
            self.release.setToolTip(
                self.tr(
                    "省级平台发布了新版本 {v}。{notes}\n\n"
                    "安装包请向省级平台或县教师发展中心索取（U 盘），安装新版本不会删除本县的数据和备份。"
                ).format(v=release.version, notes=release.notes)
            )
        registered = load_credentials(self.data_dir) is not None
        # Beside 未连接省级平台 the count needs no more words (the status bar must fit 911 px, 1366×768 at
        # 150 %); why a county that never connected has 68,001 waiting is said in the tooltip.
        self.waiting.setText(self.tr("待同步 {n} 条").format(n=f"{facts.waiting:,}"))
        self.waiting.setToolTip(waiting_tooltip(facts.waiting, registered=registered))
        if not registered:
            self.state.setText(self.tr("未连接省级平台"))
        elif self.last_error:
            self.state.setText(self.tr("离线：") + self.last_error)
        elif self.last_success:
            self.state.setText(self.tr("已同步 {t:%m-%d %H:%M}").format(t=self.last_success))
        else:
            self.state.setText(self.tr("尚未同步"))

    def register(self, url: str, code: str) -> bool:
        try:
            token = register(self.context.db, url.strip(), code)
        except GuopeiError as error:
            self.last_error = str(error)
            self.context.report_error(self, error)
            self.refresh()
            return False
        save_credentials(self.data_dir, Credentials(url.strip(), token))
        self.last_error = ""
        self.refresh()
        return True

    def sync_now(self, *, automatic: bool = False) -> None:
        if self.syncing:
            return
        credentials = load_credentials(self.data_dir)
        if credentials is None and automatic:
            return  # registering needs a person: only the 同步 button asks
        if credentials is None:
            dialog = RegisterDialog(self)
            if not dialog.exec() or not self.register(dialog.server_url(), dialog.code.text()):
                return
            credentials = load_credentials(self.data_dir)
        assert credentials is not None
        db = self.context.db
        self.button.setEnabled(False)
        self.syncing = True
        self.state.setText(self.tr("正在同步…"))

        def work(_reporter: Reporter) -> SyncOutcome:
            client = SyncClient(db, credentials.server_url, credentials.token)
            done = unit_of_work.across(client.sync)
            summary, pulled = done.value
            return SyncOutcome(
                summary.applied + summary.duplicate,
                len(summary.rejected),
                len(summary.conflicts),
                pulled,
                client.traffic.sent,
                client.traffic.received,
                done.changes,
            )

        self.runner.run(
            self, title=self.tr("正在同步…"), work=work, on_done=self._done, on_error=self._failed
        )

    def _done(self, outcome: SyncOutcome) -> None:
        self.button.setEnabled(True)
        self.syncing = False
        self.failures = 0
        self._schedule.start(next_delay_ms(0))
        self.last_success = dt.datetime.now()
        self.last_error = ""
        self.traffic.setText(
            self.tr("上次同步：发送 {sent}，接收 {received}").format(
                sent=format_bytes(outcome.bytes_sent), received=format_bytes(outcome.bytes_received)
            )
        )
        self.context.announce(outcome.changes)
        self.refresh()
        if outcome.rejected or outcome.conflicts:
            self.context.inform(
                self,
                self.tr("同步"),
                self.tr("有 {r} 条修改被省级平台拒绝、{c} 条与平台数据冲突（已记录在本机）。").format(
                    r=outcome.rejected, c=outcome.conflicts
                ),
            )

    def _failed(self, error: BaseException) -> None:
        self.button.setEnabled(True)
        self.syncing = False
        self.failures += 1
        # A busy server (503) or one refusing too many attempts (429) says when to come back.
        self._schedule.start(next_delay_ms(self.failures, retry_after=getattr(error, "retry_after", None)))
        self.last_error = str(error).splitlines()[0] if str(error) else type(error).__name__
        self.refresh()
        if not isinstance(error, GuopeiError):
            self.context.report_error(self, error)
