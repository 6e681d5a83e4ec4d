"""教师: the roster — search as you type, filters, add/edit/retire, the teacher's file, reserve pool."""

from __future__ import annotations

import getpass
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.codes import code_table
from desktop.domain.teacher_rules import TeacherForm
from desktop.services import reserve_pool, roster, roster_export, teachers
from desktop.services.roster import TeacherFilter
from desktop.ui import window_state
from desktop.ui.context import AppContext, Changes
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.import_dialog import ImportDialog
from desktop.ui.operations import Op
from desktop.ui.teacher_dialog import TeacherDialog
from desktop.ui.teacher_file_dialog import TeacherFileDialog
from desktop.ui.teacher_table_model import TeacherTableModel
from desktop.ui.widgets import EmptyOr, EmptyState, choose_spreadsheet
from guopei_common import vocab

SEARCH_DELAY_MS = 120  # wait for a pause in typing; the query itself takes a few milliseconds
FIRST_IDS = 100  # matches read before the first paint: more than a screen holds
REST_DELAY_MS = 30


class TeachersPage(QWidget):
    WATCHED = ("teachers", "schools", "reserve_pool_entries")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.model = TeacherTableModel(self._fetch_rows)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("搜索：姓名、拼音或首字母（如 zs）、身份证号或手机号的数字"))
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search_as_typed)
        self.search.textChanged.connect(self._search_timer.start)
        # After the first screen of matches is painted (a 0 ms timer can run before the paint).
        self._rest_timer = QTimer(self, singleShot=True, interval=REST_DELAY_MS)
        self._rest_timer.timeout.connect(self._load_rest)
        self.search.returnPressed.connect(self._search_and_go_to_table)
        self.search.installEventFilter(self)  # ↓ from the search box goes to the list

        self.filters: dict[str, QComboBox] = {}
        filter_row = FlowLayout()
        for key, caption in (
            ("school_id", "学校"),
            ("township", "乡镇"),
            ("stage", "学段"),
            ("subject", "学科"),
            ("title", "职称"),
            ("role", "身份"),
            ("backbone_level", "骨干"),
            ("rural", "城乡"),
            ("poverty_area", "贫困地区"),
            ("reserve_pool", "储备库"),
        ):
            combo = QComboBox()
            combo.setToolTip(self.tr(caption))
            if key == "school_id":  # school names run long: ten characters, the rest in the list
                combo.setMinimumContentsLength(10)
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            else:  # the whole label ("全部贫困地区"), never cut; the row wraps instead
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            self.filters[key] = combo
            filter_row.addWidget(combo)
        self.include_inactive = QCheckBox(self.tr("含离退/调出"))
        filter_row.addWidget(self.include_inactive)
        self._fill_filters()
        for combo in self.filters.values():
            combo.currentIndexChanged.connect(self.reload)
        self.include_inactive.toggled.connect(self.reload)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the list for the buttons below it (cell by cell it would take dozens of presses).
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((80, 44, 172, 180, 90, 70, 80, 90, 60, 80, 110)):
            self.table.setColumnWidth(column, width)
        window_state.keep_header(self.table, "teachers")  # as this PC's user last left the columns
        # Clicking 姓名 turns the pinyin order around; the other columns are for reading, not sorting.
        self.descending = False
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.sectionClicked.connect(self._sort_clicked)
        self.table.doubleClicked.connect(self.open_file)
        self.table.activated.connect(self.open_file)

        buttons = FlowLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, caption, shortcut, slot in (
            ("add", "新增教师", "Ctrl+N", self.add_teacher),
            ("edit", "编辑", "F2", self.edit_teacher),
            ("file", "查看档案", "", self.open_file),
            ("status", "退休/调出…", "", self.change_status),
            ("pool_add", "加入储备库", "", self.add_to_pool),
            ("pool_add_all", "筛选结果全部加入储备库", "", self.add_filtered_to_pool),
            ("pool_remove", "移出储备库", "", self.remove_from_pool),
            ("import", "导入…", "Ctrl+I", self.choose_import_file),
            ("export", "导出…", "Ctrl+E", self.choose_export_file),
        ):
            button = QPushButton(self.tr(caption) + (f"（{shortcut}）" if shortcut else ""))
            button.clicked.connect(slot)
            if shortcut:
                QShortcut(QKeySequence(shortcut), self, activated=slot)
            self.buttons[key] = button
            buttons.addWidget(button)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_search)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        title = QLabel(self.tr("教师参训数据库"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addLayout(filter_row)
        # A county with no teachers yet is told where they come from, with the button that brings them.
        self.list_area = EmptyOr(
            self.table,
            EmptyState(
                self.tr("还没有教师"),
                self.tr(
                    "教师名单从学校报来的花名册导入（Excel/WPS 的 .xlsx、.xls 或 CSV，一行一人，"
                    "须有姓名、身份证号、学校三列），也可以逐个新增。"
                ),
                [
                    (self.tr("导入花名册…（Ctrl+I）"), self.choose_import_file),
                    (self.tr("新增教师…（Ctrl+N）"), self.add_teacher),
                ],
            ),
        )
        layout.addWidget(self.list_area, 1)
        layout.addLayout(buttons)

        context.changed.connect(self.on_changes)
        self.reload()

    # --- data ---------------------------------------------------------------------------------
    def _fetch_rows(self, ids: list[str]) -> list[roster.TeacherRow]:
        return self.context.read(roster.teacher_rows, ids)

    def _fill_filters(self) -> None:
        schools = self.context.read(roster.schools)
        townships = self.context.read(roster.townships)
        options: dict[str, list[tuple[str, object]]] = {
            "school_id": [(name, school_id) for school_id, name in schools],
            "township": [(t, t) for t in townships],
            "stage": [(i.label, i.code) for i in code_table("stage").items],
            "subject": [(i.label, i.code) for i in code_table("subject").items],
            "title": [(i.label, i.code) for i in code_table("title").items],
            "role": [(m.label, m.value) for m in vocab.TeacherRole],
            "backbone_level": [(m.label, m.value) for m in vocab.BackboneLevel],
            "rural": [("乡村", True), ("城镇", False)],
            "poverty_area": [("贫困地区", True), ("非贫困地区", False)],
            "reserve_pool": [("在储备库", True), ("不在储备库", False)],
        }
        for key, combo in self.filters.items():
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("全部") + self.tr(combo.toolTip()), None)
            for label, value in options[key]:
                combo.addItem(self.tr(label), value)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            combo.blockSignals(False)

    def current_filter(self) -> TeacherFilter:
        values = {key: combo.currentData() for key, combo in self.filters.items()}
        return TeacherFilter(
            query=self.search.text(), include_inactive=self.include_inactive.isChecked(), **values
        )

    def reload(self, *, first_screen: bool = False) -> None:
        """Every match of the filter and search. `first_screen` (search as you type): the first screen
        of matches at once and the rest (thousands for one letter or character) once it is painted,
        so that the next key never waits for them."""
        self._search_timer.stop()
        self._rest_timer.stop()
        ids = self.context.read(
            roster.teacher_ids,
            self.current_filter(),
            descending=self.descending,
            limit=FIRST_IDS if first_screen else None,
        )
        self.model.set_ids(ids)
        self.list_area.show_empty(not ids and self.current_filter() == TeacherFilter())
        if first_screen and len(ids) == FIRST_IDS:
            self.count_label.setText(self.tr("共 {n} 人以上…").format(n=f"{len(ids):,}"))
            self._rest_timer.start()
        else:
            self.count_label.setText(self.tr("共 {n} 人").format(n=f"{len(ids):,}"))
        if ids:
            self.table.selectRow(0)

    def search_as_typed(self) -> None:
        self.reload(first_screen=True)

    def _load_rest(self) -> None:
        ids = self.context.read(roster.teacher_ids, self.current_filter(), descending=self.descending)
        self.model.extend_ids(ids)
        self.count_label.setText(self.tr("共 {n} 人").format(n=f"{len(ids):,}"))

    def _sort_clicked(self, column: int) -> None:
        if column == 0:
            self.descending = not self.descending
            self.reload()
        order = Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(0, order)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("schools"):
            self._fill_filters()
        if changes.touches(*self.WATCHED):
            self.reload()

    def _search_and_go_to_table(self) -> None:
        self.reload()
        self._go_to_table()

    def _go_to_table(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            self._go_to_table()
            return True
        return super().eventFilter(watched, event)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.id_at(row) for row in rows]

    # --- actions ------------------------------------------------------------------------------
    def _schools(self) -> list[tuple[str, str]]:
        return self.context.read(roster.schools)

    def add_teacher(self) -> None:
        def save(form: TeacherForm) -> None:
            Op(self, self.context, teachers.add_teacher, form, today=self.context.today()).run_or_raise()

        TeacherDialog(self, schools=self._schools(), save=save).exec()

    def edit_teacher(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        initial = self.context.read(teachers.form_of, ids[0])

        def save(form: TeacherForm) -> None:
            edit = Op(self, self.context, teachers.update_teacher, ids[0], form, today=self.context.today())
            edit.success(lambda _: self.model.forget(ids)).run_or_raise()

        TeacherDialog(self, schools=self._schools(), save=save, initial=initial).exec()

    def open_file(self, _index: QModelIndex | None = None) -> TeacherFileDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        # A write: a view of the full ID number and phone goes into the audit log.
        opened: list[TeacherFileDialog] = []

        def show(record: teachers.TeacherFile) -> None:
            opened.append(TeacherFileDialog(self, record, context=self.context))
            opened[0].open()

        Op(self, self.context, teachers.teacher_file, ids[0], today=self.context.today()).success(show).run()
        return opened[0] if opened else None

    def change_status(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        statuses = list(vocab.EmploymentStatus)
        label, ok = QInputDialog.getItem(
            self,
            self.tr("人员状态"),
            self.tr("将所选 {n} 人设为：").format(n=len(ids)),
            [self.tr(s.label) for s in statuses],
            1,
            False,
        )
        if not ok:
            return
        status = statuses[[self.tr(s.label) for s in statuses].index(label)]
        note, ok = QInputDialog.getText(self, self.tr("人员状态"), self.tr("说明（如退休文号、调入单位）："))
        if not ok:
            return
        change = Op(self, self.context, teachers.set_employment_statuses, ids, status, note=note.strip())
        change.success(lambda _: self.model.forget(ids)).run()

    def _pool_reason(self, title: str) -> str | None:
        reason, ok = QInputDialog.getText(self, title, self.tr("原因："))
        if not ok:
            return None
        if not reason.strip():
            self.context.inform(self, title, self.tr("请填写原因，以便日后查询。"))
            return None
        return reason.strip()

    def add_to_pool(self) -> None:
        ids = self.selected_ids()
        reason = self._pool_reason(self.tr("加入储备库")) if ids else None
        if reason is None:
            return
        adding = Op(
            self, self.context, reserve_pool.add_to_pool, ids, reason=reason, day=self.context.today()
        )
        adding.success(lambda _: self.model.forget(ids)).run()

    def add_filtered_to_pool(self) -> None:
        count = self.model.rowCount()
        if not count:
            return
        answer = QMessageBox.question(
            self,
            self.tr("加入储备库"),
            self.tr("将当前筛选出的 {n} 人全部加入储备库？").format(n=f"{count:,}"),
        )
        reason = (
            self._pool_reason(self.tr("加入储备库")) if answer == QMessageBox.StandardButton.Yes else None
        )
        if reason is None:
            return
        ids = [self.model.id_at(row) for row in range(count)]
        adding = Op(
            self, self.context, reserve_pool.add_to_pool, ids, reason=reason, day=self.context.today()
        )
        adding.success(
            lambda added: self.context.inform(
                self, self.tr("加入储备库"), self.tr("已加入 {n} 人。").format(n=added)
            )
        ).run()

    def remove_from_pool(self) -> None:
        ids = self.selected_ids()
        reason = self._pool_reason(self.tr("移出储备库")) if ids else None
        if reason is None:
            return
        removing = Op(
            self, self.context, reserve_pool.remove_from_pool, ids, reason=reason, day=self.context.today()
        )
        removing.success(lambda _: self.model.forget(ids)).run()

    # --- import and export ----------------------------------------------------------------------
    def choose_import_file(self) -> None:
        path = choose_spreadsheet(self, self.tr("选择教师名单"))
        if path:
            self.import_file(path)

    def import_file(self, path: Path) -> ImportDialog:
        dialog = ImportDialog(self, self.context, path)
        dialog.open()
        return dialog

    def choose_export_file(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("导出教师名单"))
        box.setText(
            self.tr("导出当前筛选出的 {n} 人。身份证号和手机号如何导出？").format(
                n=f"{self.model.rowCount():,}"
            )
        )
        masked = box.addButton(self.tr("脱敏导出（推荐）"), QMessageBox.ButtonRole.AcceptRole)
        full = box.addButton(self.tr("导出完整号码（记入审计日志）"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() not in (masked, full):
            return
        chosen, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出到"), self.tr("教师名单.xlsx"), "Excel (*.xlsx)"
        )
        if chosen:
            self.export_to(Path(chosen), full_numbers=box.clickedButton() is full)

    def export_to(self, out: Path, *, full_numbers: bool) -> None:
        def done(count: int) -> None:
            self.context.inform(
                self, self.tr("导出教师名单"), self.tr("已导出 {n} 人到 {path}").format(n=count, path=out)
            )

        # A write session: an export of full numbers is recorded in the audit log.
        Op(
            self,
            self.context,
            roster_export.export_teachers,
            self.current_filter(),
            out,
            full_numbers=full_numbers,
            actor=getpass.getuser(),
        ).success(done).run_in_background(self.tr("正在导出…"))
