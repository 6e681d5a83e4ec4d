"""学分规则 (read-only): the province's versions of the credit rules as the last sync brought them, and
the county's own rule used while none applies; the one in force today is marked."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop.services.credits import RuleTable
from desktop.ui.widgets import fill_table, read_only_table


class CreditRulesDialog(QDialog):
    def __init__(self, parent: QWidget | None, tables: list[RuleTable]) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("学分规则"))
        self.resize(820, 420)
        note = QLabel(
            self.tr(
                "学分规则由省级平台随政策下发，本机只读。生成学分草稿时，按项目结束日期当天有效的版本折算。"
            )
        )
        note.setWordWrap(True)
        self.table = read_only_table(
            [self.tr(h) for h in ("规则（版本）", "起用日期", "适用", "折算", "")], stretch=3
        )
        fill_table(
            self.table,
            [
                [
                    table.source,
                    f"{table.effective_from:%Y-%m-%d}" if table.effective_from else "—",
                    applies,
                    rule,
                    self.tr("现行") if table.in_force else "",
                ]
                for table in tables
                for applies, rule in table.lines
            ],
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
