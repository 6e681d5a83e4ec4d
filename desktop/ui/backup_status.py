"""The backup part of the status area, and the automatic backups and checks behind it.

It shows the age of the last good backup (amber after seven days, or when no backup password is set)
and a second folder that could not be written (a USB stick not plugged in) — said here, never in a
dialog at every start. It owns the day's automatic backup (after the first write of the day), the
backup on closing, and the weekly full integrity check; each runs off the UI thread and reports back
through a signal.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QWidget

from desktop.services import backups
from desktop.ui.context import AppContext

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(days=7)
AMBER = "color: #9a6700;"


def local_time(moment: dt.datetime) -> dt.datetime:
    """A backup's time as this PC's wall clock shows it (headers carry their UTC offset)."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment


def age_words(moment: dt.datetime, *, now: dt.datetime) -> str:
    """今天, or how many days ago."""
    if moment.date() == now.date():
        return "今天"
    return f"{max(1, (now - moment).days)} 天前"


def backup_age_text(latest: dt.datetime | None, *, now: dt.datetime, configured: bool) -> tuple[str, bool]:
    """The status text and whether it is a warning (amber)."""
    if not configured:
        return "未设置备份密码，没有自动备份", True
    if latest is None:
        return "还没有备份", True
    latest = local_time(latest)
    if latest.date() == now.date():
        return f"已备份 今天 {latest:%H:%M}", False
    return f"上次备份 {age_words(latest, now=now)}", now - latest > STALE_AFTER


class _Bridge(QObject):
    """Carries results from the backup and check threads to the UI thread."""

    backed_up = Signal(object)  # BackupOutcome or the exception
    checked = Signal(str)  # integrity_check's verdict


class BackupStatus(QWidget):
    def __init__(self, context: AppContext, *, now=dt.datetime.now) -> None:
        super().__init__()
        self.context = context
        self.now = now
        self.data_dir = context.db.path.parent
        self.label = QLabel()
        self.problem = QLabel()
        self.problem.setStyleSheet(AMBER)
        self.problem.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.problem)

        self._bridge = _Bridge()
        self._bridge.backed_up.connect(self._backed_up)
        self._bridge.checked.connect(self._checked)
        self.daily = backups.start_automatic_backups(context.db, on_done=self._bridge.backed_up.emit)
        context.backup_made.connect(self._backed_up)
        # The age changes by itself: look again every ten minutes, and soon after a change of data.
        self._refresh_later = QTimer(self, singleShot=True, interval=2000, timeout=self.refresh)
        context.changed.connect(lambda _changes: self._refresh_later.start())
        self._tick = QTimer(self, interval=10 * 60 * 1000, timeout=self.refresh)
        self._tick.start()
        self.check_thread: threading.Thread | None = None
        self.refresh()

    def refresh(self) -> None:
        second_folder = self.context.read(backups.backup_settings).second_folder
        configured = backups.has_backup_key(self.data_dir)
        verified = [i for i in backups.list_backups(backups.backups_dir(self.data_dir)) if i.verified]
        latest = verified[0].created_at if verified else None
        text, warning = backup_age_text(latest, now=self.now(), configured=configured)
        self.label.setText(self.tr(text))
        self.label.setStyleSheet(AMBER if warning else "")
        if second_folder is not None and not second_folder.is_dir():
            self.show_problem(self.tr("第二备份位置不可用：{folder}").format(folder=second_folder))

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setToolTip(text)
        self.problem.setVisible(bool(text))

    def _backed_up(self, result: object) -> None:
        if isinstance(result, backups.BackupOutcome):
            self.show_problem("；".join(result.messages))
        elif isinstance(result, Exception):
            self.show_problem(self.tr("自动备份没有完成：{e}").format(e=str(result).splitlines()[0]))
        self.refresh()

    def back_up_on_close(self) -> None:
        """The backup taken when the window closes (after the day's one, if it is still running)."""
        try:
            backups.backup_on_close(self.context.db, self.daily)
        except Exception:
            # Closing must not be stopped by a backup: the day's backup and tomorrow's stand in.
            log.exception("backup on close failed")

    def check_integrity_if_due(self) -> None:
        """The weekly full check, on a thread: a flipped bit in an index passes the quick check at start."""
        db = self.context.db

        def check() -> None:
            result = backups.weekly_integrity_check(db)
            if result is not None:
                self._bridge.checked.emit(result)

        self.check_thread = threading.Thread(target=check, name="integrity-check", daemon=True)
        self.check_thread.start()

    def _checked(self, verdict: str) -> None:
        if verdict == "ok":
            return
        self.show_problem(self.tr("数据库完整性检查发现问题"))
        QMessageBox.warning(
            self,
            self.tr("数据库完整性检查"),
            self.tr(
                "每周的数据库完整性检查发现了问题：\n{verdict}\n\n"
                "请尽快在“备份”页从最近的备份恢复。程序下次打开时不会再使用这个数据文件，"
                "而会请你选择从备份恢复，或（已连接省级平台的）从省级平台重新下载。"
            ).format(verdict=verdict[:300]),
        )
