"""同步: the changes the province refused, those where the province already had a newer version (both
kept on this PC for a person to review: they are no longer in the outbox), the province's conflict
log for this county (values of its records that lost a merge, on any of its PCs), teacher transfers
(调动申请) to and from the county, and pulled rows this PC set aside because it could not apply them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTableWidget, QVBoxLayout, QWidget

from desktop.services import sync_state
from desktop.sync.credentials import load_credentials
from desktop.ui.context import AppContext, Changes
from desktop.ui.exchange_panel import ExchangePanel
from desktop.ui.server_address import address_text
from desktop.ui.widgets import fill_table, read_only_table
from guopei_common.idnumber import mask_id_number, mask_phone
from guopei_common.vocab import ENTITY_LABELS, CreditStatus, EnrollmentStatus

FIELD_LABELS = {
    "*": "整条记录",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "school_id": "学校",
    "title": "职称",
    "subject": "学科",
    "stage": "学段",
    "status": "状态",
    "class_id": "班级",
    "note": "备注",
}
_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "emergency_phone": mask_phone}


_STATUS_LABELS = {
    "enrollment": {status.value: status.label for status in EnrollmentStatus},
    "credit_entry": {status.value: status.label for status in CreditStatus},
}


def _value(entity: str, field: str, value: Any) -> str:
    """A logged value as a person reads it: personal data masked, a status in words, a whole row
    named in a few words."""
    if isinstance(value, dict):
        return _what(value)
    text = "" if value is None else str(value)
    if field == "status":
        return _STATUS_LABELS.get(entity, {}).get(text, text)
    mask = _MASKS.get(field)
    return mask(text) if mask is not None and text else text


def _what(payload: dict[str, Any]) -> str:
    """A few words that tell a person which record it was."""
    for key in ("name", "serial", "code", "description", "to_status", "status"):
        if payload.get(key):
            return str(payload[key])
    return ""


def connection_text(*, registered: bool, synced: bool, server_url: str = "") -> str:
    """Where this PC stands with the province, and what to do next."""
    if not registered:
        return (
            "本机尚未连接省级平台。按 F9（或状态栏的“同步”按钮），输入省级平台地址和一次性注册码"
            "（或扫描注册二维码）；注册后，本机已录入的数据会在首次同步时全部上传。"
        )
    shown = address_text(server_url)  # without the certificate pin's 64 hex digits
    if not synced:
        return f"已在省级平台注册（{shown}），还没有完成首次同步：按 F9 立即同步。"
    return f"已连接省级平台：{shown}。同步每十分钟自动进行一次，也可以按 F9 立即同步。"


def _repairs_text(repairs: list[dict[str, Any]], *, checked: bool) -> str:
    if not repairs:
        if not checked:
            return "数据校验：还没有与省级平台核对过（连接后自动进行）"
        return "数据校验：未发现与省级平台不一致"
    last = repairs[-1]
    entities = "、".join(ENTITY_LABELS.get(entity, entity) for entity in last.get("entities", []))
    return (
        f"数据校验：{last['at'].replace('T', ' ')[:16]} 发现{entities}与省级平台不一致，已重新下载修复"
        f"（共修复过 {len(repairs)} 次）"
    )


class SyncPage(QWidget):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        title = QLabel(self.tr("同步记录"))
        title.setObjectName("pageTitle")
        self.connection = QLabel()
        self.connection.setWordWrap(True)
        headers = [self.tr(h) for h in ("类别", "记录", "记录编号", "原因")]
        self.rejected = read_only_table(headers, stretch=3)
        self.conflicts = read_only_table(headers, stretch=3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addWidget(self.connection)
        self.exchange = ExchangePanel(context)
        layout.addWidget(self.exchange)
        layout.addWidget(QLabel(self.tr("省级平台拒绝的修改（未被采用，需要时请在本机改正后重新保存）")))
        layout.addWidget(self.rejected, 1)
        layout.addWidget(QLabel(self.tr("冲突：平台上已有更新的版本（以平台为准，下次同步时取回）")))
        layout.addWidget(self.conflicts, 1)
        layout.addWidget(
            QLabel(
                self.tr("省级冲突记录：合并时未采用的值（本县任一台电脑的修改；如有误，请在本机改正后保存）")
            )
        )
        self.province_log = read_only_table(
            [self.tr(h) for h in ("时间", "类别", "记录编号", "字段", "保留的值", "未采用的值", "规则")],
            stretch=6,
        )
        layout.addWidget(self.province_log, 1)
        # Teacher transfers (调动申请) between this county and another, and pulled rows this PC could
        # not apply: shown only when there are any (the page must fit a 1366×768 laptop).
        self.transfers_title = QLabel(self.tr("教师调动申请（由省级平台审核）"))
        self.transfers = read_only_table(
            [self.tr(h) for h in ("状态", "教师", "记录编号", "调动", "申请时间", "说明")], stretch=5
        )
        self.set_aside_title = QLabel(
            self.tr("暂未应用的平台数据（本机无法写入，每次同步后自动重试；如一直存在请联系省级平台）")
        )
        self.set_aside = read_only_table(headers, stretch=3)
        for widget in (self.transfers_title, self.transfers, self.set_aside_title, self.set_aside):
            layout.addWidget(widget, 1 if isinstance(widget, QTableWidget) else 0)
        # The last divergence repairs (count and hash per entity differed from the province's).
        self.repairs = QLabel()
        layout.addWidget(self.repairs)
        context.changed.connect(self.on_changes)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("outbox"):
            self.reload()

    def reload(self) -> None:
        kept = self.context.read(sync_state.review)
        credentials = load_credentials(self.context.db.path.parent)
        self.connection.setText(
            connection_text(
                registered=credentials is not None,
                synced=kept.synced,
                server_url=credentials.server_url if credentials else "",
            )
        )
        self._show_transfers(kept.transfers)
        aside = kept.set_aside
        fill_table(
            self.set_aside,
            [
                [
                    self.tr(ENTITY_LABELS.get(item["entity"], item["entity"])),
                    _what(item.get("payload") or {}),
                    item["row_id"],
                    item.get("reason", ""),
                ]
                for item in reversed(aside)  # newest first
            ],
        )
        for widget in (self.set_aside_title, self.set_aside):
            widget.setVisible(bool(aside))
        self.repairs.setText(_repairs_text(kept.repairs, checked=kept.digest_checked))
        notes = kept.province_log
        fill_table(
            self.province_log,
            [
                [
                    note["recorded_at"].replace("T", " ")[:16],
                    self.tr(ENTITY_LABELS.get(note["entity"], note["entity"])),
                    note["row_id"],
                    self.tr(FIELD_LABELS.get(note["field"], note["field"])),
                    _value(note["entity"], note["field"], note["kept"]),
                    _value(note["entity"], note["field"], note["lost"]),
                    note["rule"],
                ]
                for note in reversed(notes)  # newest first
            ],
        )
        for table, items in ((self.rejected, kept.rejected), (self.conflicts, kept.conflicts)):
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

    def _show_transfers(self, notes: list[dict[str, Any]]) -> None:
        # Pending ones first (they wait for someone), then the newest.
        ordered = sorted(reversed(notes), key=lambda note: note["status"] != "pending")
        status = {
            "pending": self.tr("待省级审核"),
            "approved": self.tr("已批准"),
            "rejected": self.tr("已驳回"),
        }
        fill_table(
            self.transfers,
            [
                [
                    status.get(note["status"], note["status"]),
                    note["name"],
                    note["row_id"],
                    self.tr("调入本县")
                    if note["direction"] == "in"
                    else self.tr("调往 {county}").format(county=note["other_county"]),
                    note["created_at"].replace("T", " ")[:16],
                    note.get("reason", ""),
                ]
                for note in ordered
            ],
        )
        for widget in (self.transfers_title, self.transfers):
            widget.setVisible(bool(notes))
