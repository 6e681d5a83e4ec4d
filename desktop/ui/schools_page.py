"""学校: the county's schools with their head counts; add a school or correct one."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.coverage import SCHOOL_FLAGS
from desktop.services import schools
from desktop.services.schools import SchoolForm, SchoolInvalid, SchoolRow
from desktop.ui import dialog_fit
from desktop.ui.context import AppContext, Changes
from desktop.ui.labels import code_label
from desktop.ui.operations import Op
from desktop.ui.teacher_dialog import code_combo, select_data


class SchoolDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, *, save: Callable[[SchoolForm], None], initial: SchoolForm | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("编辑学校") if initial else self.tr("新增学校"))
        self._save = save
        self.name = QLineEdit()
        self.township = QLineEdit()
        self.code = QLineEdit()
        self.stage = code_combo("stage")
        self.rural = QCheckBox(self.tr("乡村学校"))
        # One box per designation (三区三州, 集中连片, 脱贫县 …), its defining document as the tooltip.
        self.flags = {flag.column: QCheckBox(flag.label, toolTip=flag.source) for flag in SCHOOL_FLAGS}
        self.sanqu = self.flags["in_sanqu_sanzhou"]
        self.contiguous = self.flags["in_contiguous_poverty_area"]
        self.flags_source = QLineEdit(placeholderText=self.tr("如 省乡村振兴局公布的名单（年份）"))
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        form = QFormLayout()
        form.addRow(self.tr("学校名称"), self.name)
        form.addRow(self.tr("乡镇/街道"), self.township)
        form.addRow(self.tr("学校标识码"), self.code)
        form.addRow(self.tr("学段"), self.stage)
        form.addRow("", self.rural)
        for box in self.flags.values():
            form.addRow("", box)
        form.addRow(self.tr("标注依据"), self.flags_source)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout()
        layout.addLayout(form)
        layout.addWidget(self.error)
        dialog_fit.lay_out(self, layout, buttons)
        if initial:
            self.name.setText(initial.name)
            self.township.setText(initial.township)
            self.code.setText(initial.code)
            select_data(self.stage, initial.stage)
            self.rural.setChecked(initial.is_rural)
            for column, box in self.flags.items():
                box.setChecked(getattr(initial, column))
            self.flags_source.setText(initial.flags_source)

    def form(self) -> SchoolForm:
        return SchoolForm(
            name=self.name.text().strip(),
            township=self.township.text().strip(),
            code=self.code.text().strip(),
            stage=self.stage.currentData() or "",
            is_rural=self.rural.isChecked(),
            flags_source=self.flags_source.text().strip(),
            **{column: box.isChecked() for column, box in self.flags.items()},
        )

    def try_save(self) -> None:
        try:
            self._save(self.form())
        except SchoolInvalid as invalid:
            self.error.setText("\n".join(invalid.errors.values()))
            return
        self.accept()


class SchoolsPage(QWidget):
    WATCHED = ("schools", "teachers", "reserve_pool_entries")
    HEADERS = ("乡镇", "学校名称", "标识码", "学段", "城乡", "三区三州", "集中连片特困", "在职教师", "储备库")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[SchoolRow] = []
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in self.HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self.edit_school)
        self.total = QLabel()
        add = QPushButton(self.tr("新增学校（Ctrl+N）"))
        add.clicked.connect(self.add_school)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.add_school)
        edit = QPushButton(self.tr("编辑（F2）"))
        edit.clicked.connect(self.edit_school)
        QShortcut(QKeySequence("F2"), self, activated=self.edit_school)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(edit)
        buttons.addStretch(1)
        buttons.addWidget(self.total)
        title = QLabel(self.tr("学校/单位"))
        title.setObjectName("pageTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        context.changed.connect(self.on_changes)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*self.WATCHED):
            self.reload()

    def reload(self) -> None:
        self.rows = self.context.read(schools.school_rows)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = (
                row.township,
                row.name,
                row.code,
                code_label("stage", row.stage),
                self.tr("乡村") if row.is_rural else self.tr("城镇"),
                "✓" if row.in_sanqu_sanzhou else "",
                "✓" if row.in_contiguous_poverty_area else "",
                f"{row.active_teachers:,}",
                f"{row.in_reserve_pool:,}",
            )
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c >= 7:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        teachers = sum(row.active_teachers for row in self.rows)
        self.total.setText(
            self.tr("共 {n} 所学校，在职教师 {t} 人").format(n=len(self.rows), t=f"{teachers:,}")
        )

    def _selected(self) -> SchoolRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def add_school(self) -> None:
        county = self.context.db.device.county_code

        def save(form: SchoolForm) -> None:
            Op(self, self.context, schools.add_school, form, county_code=county).run_or_raise()

        SchoolDialog(self, save=save, initial=None).exec()

    def edit_school(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        initial = self.context.read(schools.form_of, selected.id)

        def save(form: SchoolForm) -> None:
            Op(self, self.context, schools.update_school, selected.id, form).run_or_raise()

        SchoolDialog(self, save=save, initial=initial).exec()
