"""同步: the changes the province refused, and those where the province already had a newer version,
kept on this PC for a person to review (they are no longer in the outbox)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.db.models import Setting
from desktop.sync.client import CONFLICTS_KEY, REJECTED_KEY
from desktop.ui.context import AppContext, Changes
from desktop.ui.widgets import fill_table, read_only_table

ENTITY_LABELS = {
    "school": "学校",
    "teacher": "教师",
    "reserve_pool_entry": "储备库",
    "project": "培训项目",
    "training_class": "班级",
    "session": "课次",
    "enrollment": "报名",
    "enrollment_event": "报名记录",
    "attendance": "考勤",
    "completion": "结业",
    "credit_entry": "学分",
    "integrity_record": "诚信档案",
    "certificate": "证书",
}


def _what(payload: dict[str, Any]) -> str:
    """A few words that tell a person which record it was."""
    for key in ("name", "serial", "code", "description", "to_status", "status"):
        if payload.get(key):
            return str(payload[key])
    return ""


class SyncPage(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        title = QLabel(self.tr("同步记录"))
        title.setObjectName("pageTitle")
        headers = [self.tr(h) for h in ("类别", "记录", "记录编号", "原因")]
        self.rejected = read_only_table(headers, stretch=3)
        self.conflicts = read_only_table(headers, stretch=3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addWidget(QLabel(self.tr("省级平台拒绝的修改（未被采用，需要时请在本机改正后重新保存）")))
        layout.addWidget(self.rejected, 1)
        layout.addWidget(QLabel(self.tr("冲突：平台上已有更新的版本（以平台为准，下次同步时取回）")))
        layout.addWidget(self.conflicts, 1)
        context.changed.connect(self.on_changes)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("outbox"):
            self.reload()

    def reload(self) -> None:
        with self.context.db.read() as session:
            kept = {key: session.get(Setting, key) for key in (REJECTED_KEY, CONFLICTS_KEY)}
        for table, key in ((self.rejected, REJECTED_KEY), (self.conflicts, CONFLICTS_KEY)):
            items = list(kept[key].value) if kept[key] is not None else []
            fill_table(
                table,
                [
                    [
                        self.tr(ENTITY_LABELS.get(item["entity"], item["entity"])),
                        _what(item.get("payload") or {}),
                        item["row_id"],
                        item.get("reason", ""),
                    ]
                    for item in reversed(items)  # newest first
                ],
            )
