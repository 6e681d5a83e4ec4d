"""学分: the credit ledger — drafts from completed trainees, manual entries with their basis,
submission to the province, and the county's summary per school."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services import credits, project_choices
from desktop.services.credits import CreditRow
from desktop.ui.context import AppContext, Changes
from desktop.ui.credit_rules_dialog import CreditRulesDialog
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.operations import Op
from desktop.ui.widgets import EmptyOr, EmptyState, fill_table, read_only_table, selected_keys
from guopei_common.vocab import CreditStatus, TrainingLevel

SEARCH_DELAY_MS = 150


class CreditsPage(QWidget):
    WATCHED = ("credit_entries", "enrollments")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[CreditRow] = []
        title = QLabel(self.tr("学分登记"))
        title.setObjectName("pageTitle")
        self.year = QComboBox()
        this_year = context.today().year
        for year in range(this_year, this_year - 6, -1):
            self.year.addItem(str(year), year)
        self.status = QComboBox()
        self.status.addItem(self.tr("全部状态"), None)
        for member in CreditStatus:
            self.status.addItem(self.tr(member.label), member.value)
        self.year.currentIndexChanged.connect(self.reload)
        self.status.currentIndexChanged.connect(self.reload)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("搜索：姓名、拼音首字母、身份证号后几位、学校"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        # Wait for a pause in typing: one query for a name, not one per keystroke.
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.reload)
        self.total = QLabel()
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.search, 1)
        top.addWidget(QLabel(self.tr("年度")))
        top.addWidget(self.year)
        top.addWidget(self.status)
        self.table = read_only_table(
            [self.tr(h) for h in ("姓名", "学校/单位", "年度", "培训类别", "学时", "学分", "状态", "内容")],
            stretch=7,
            multi=True,
        )
        buttons = FlowLayout()
        for caption, slot in (
            (self.tr("从已结业项目生成…"), self.choose_project_to_generate),
            (self.tr("手工登记…"), self.add_manual_entry),
            (self.tr("提交所选"), self.submit_selected),
            (self.tr("提交本年度全部草稿"), self.submit_year),
            (self.tr("导出全县学分汇总…"), self.choose_summary_file),
            (self.tr("学分规则…"), self.show_rules),
        ):
            button = QPushButton(caption)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addWidget(self.total)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        self.list_area = EmptyOr(
            self.table,
            EmptyState(
                self.tr("这一年还没有学分登记"),
                self.tr("项目结业后，从已结业项目生成学分草稿；本县以外的培训（如网络研修）可以手工登记。"),
                [
                    (self.tr("从已结业项目生成…"), self.choose_project_to_generate),
                    (self.tr("手工登记…"), self.add_manual_entry),
                ],
            ),
        )
        layout.addWidget(self.list_area, 1)
        layout.addLayout(buttons)
        context.changed.connect(self.on_changes)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*self.WATCHED):
            self.reload()

    def reload(self) -> None:
        self.rows = self.context.read(
            credits.entries,
            year=self.year.currentData(),
            status=CreditStatus(code) if (code := self.status.currentData()) else None,
            search=self.search.text(),
        )
        self._search_timer.stop()
        fill_table(
            self.table,
            [
                [
                    r.name,
                    r.school,
                    str(r.year),
                    TrainingLevel(r.level).label,
                    f"{r.hours:g}",
                    f"{r.credits:g}",
                    CreditStatus(r.status).label,
                    r.description,
                ]
                for r in self.rows
            ],
            keys=[r.id for r in self.rows],
        )
        unfiltered = not self.search.text().strip() and self.status.currentData() is None
        self.list_area.show_empty(not self.rows and unfiltered)
        self.total.setText(
            self.tr("共 {n} 条，{c} 学分").format(
                n=len(self.rows), c=f"{sum(r.credits for r in self.rows):g}"
            )
        )

    def _change(self, done: str, work: Callable[..., object], /, *args: object, **kwargs: object) -> bool:
        """Run a credits operation; `done` tells how many entries it touched ({n}: what `work` returned)."""

        def tell(count: object) -> None:
            self.context.inform(self, self.tr("学分登记"), done.format(n=count))

        return Op(self, self.context, work, *args, **kwargs).success(tell).run()

    def choose_project_to_generate(self) -> None:
        finished = self.context.read(project_choices.finished)
        labels = [choice.label for choice in finished]
        if not labels:
            self.context.inform(self, self.tr("学分登记"), self.tr("还没有已结束的项目。"))
            return
        label, ok = QInputDialog.getItem(self, self.tr("生成学分"), self.tr("项目："), labels, 0, False)
        if ok:
            self.generate(finished[labels.index(label)].id)

    def generate(self, project_id: str) -> bool:
        return self._change(
            self.tr("已为 {n} 名结业学员生成学分草稿。"), credits.generate_for_project, project_id
        )

    def add_manual_entry(self) -> None:
        number, ok = QInputDialog.getText(self, self.tr("手工登记学分"), self.tr("教师身份证号："))
        if not ok:
            return
        levels = [member.label for member in TrainingLevel]
        level, ok = QInputDialog.getItem(
            self, self.tr("手工登记学分"), self.tr("培训类别："), levels, 1, False
        )
        if not ok:
            return
        hours, ok = QInputDialog.getDouble(self, self.tr("手工登记学分"), self.tr("学时："), 10, 0.5, 500, 1)
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, self.tr("手工登记学分"), self.tr("培训内容和认定依据："))
        if ok:
            self.add_manual(number, TrainingLevel(list(TrainingLevel)[levels.index(level)]), hours, reason)

    def add_manual(self, id_number: str, level: TrainingLevel, hours: float, reason: str) -> bool:
        return self._change(
            self.tr("已登记 1 条（草稿，提交后由省级平台审核）。"),
            credits.add_manual_for,
            id_number=id_number,
            year=self.year.currentData(),
            level=level,
            hours=hours,
            reason=reason,
        )

    def submit_selected(self) -> bool:
        ids = selected_keys(self.table)
        return bool(ids) and self._change(
            self.tr("已提交 {n} 条，等待省级平台审核。"), credits.change_status, ids, CreditStatus.SUBMITTED
        )

    def submit_year(self) -> bool:
        return self._change(
            self.tr("已提交 {n} 条，等待省级平台审核。"), credits.submit_year, self.year.currentData()
        )

    def show_rules(self) -> CreditRulesDialog:
        """The rules read-only, with their versions (the province's, as the last sync brought them)."""
        tables = self.context.read(credits.rule_tables, today=self.context.today())
        self.rules_dialog = CreditRulesDialog(self, tables)
        self.rules_dialog.open()
        return self.rules_dialog

    def choose_summary_file(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出全县学分汇总"), f"{self.year.currentData()}年学分汇总.xlsx", "Excel (*.xlsx)"
        )
        if chosen:
            self.export_summary(Path(chosen))

    def export_summary(self, out: Path) -> int:
        count = self.context.read(credits.county_summary_xlsx, self.year.currentData(), out)
        self.context.inform(
            self, self.tr("导出"), self.tr("已导出 {n} 所学校的学分汇总到 {path}").format(n=count, path=out)
        )
        return count
