"""导入教师: pick a file, check the column mapping, see every row's fate, then apply all or nothing."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.io.spreadsheet import SpreadsheetError, column_letters
from desktop.services.roster_import import (
    CAPTIONS,
    REQUIRED,
    ImportPreview,
    ImportResult,
    RowOutcome,
    apply_teacher_import,
    first_row_headers,
    preview_teacher_import,
    save_refused_rows,
)
from desktop.ui import dialog_fit
from desktop.ui.context import AppContext
from desktop.ui.operations import Op

ACTIONS = {"create": "新增", "update": "更新", "unchanged": "无变化", "refuse": "拒绝"}
ACTION_COLOURS = {"create": "#e8f6ec", "update": "#eaf2fb", "refuse": "#fdecea"}
_Index = QModelIndex | QPersistentModelIndex


class OutcomeModel(QAbstractTableModel):
    """Rows of the preview; a light model so that a 100,000-row file previews smoothly."""

    HEADERS = ("行号", "结果", "姓名", "身份证号", "学校/单位", "原因")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RowOutcome] = []

    def set_rows(self, rows: list[RowOutcome]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        outcome = self.rows[index.row()]
        if role == Qt.ItemDataRole.BackgroundRole and outcome.action in ACTION_COLOURS:
            return QColor(ACTION_COLOURS[outcome.action])
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        values = (
            str(outcome.row),
            self.tr(ACTIONS[outcome.action]),
            outcome.name,
            outcome.masked_id_number,
            outcome.school_name,
            outcome.reason or "、".join(CAPTIONS.get(k, k) for k in outcome.changes),
        )
        return values[index.column()]


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: AppContext, path: Path) -> None:
        super().__init__(parent)
        self.context = context
        self.path = path
        self.preview: ImportPreview | None = None
        self._mapping_shown = False
        self.result_summary: ImportResult | None = None
        self.setWindowTitle(self.tr("导入教师 — {name}").format(name=path.name))

        self.summary = QLabel()
        self.summary.setObjectName("sectionTitle")
        self.mapping: dict[str, QComboBox] = {}
        mapping_box = QGridLayout()
        for index, (key, caption) in enumerate(CAPTIONS.items()):
            combo = QComboBox()
            combo.currentIndexChanged.connect(self.refresh_preview)
            self.mapping[key] = combo
            label = QLabel(self.tr(caption) + ("*" if key in REQUIRED else ""))
            mapping_box.addWidget(label, index // 5, (index % 5) * 2)
            mapping_box.addWidget(combo, index // 5, (index % 5) * 2 + 1)
        self.create_schools = QCheckBox(self.tr("自动新建名单中没有的学校"))
        self.create_schools.toggled.connect(self.refresh_preview)
        self.pool = QCheckBox(self.tr("同时加入储备库，原因："))
        self.pool.toggled.connect(self._update_buttons)
        self.pool_reason = QLineEdit()
        self.pool_reason.setPlaceholderText(self.tr("如：学校推荐"))
        options = QHBoxLayout()
        options.addWidget(self.create_schools)
        options.addSpacing(24)
        options.addWidget(self.pool)
        options.addWidget(self.pool_reason, 1)
        self.show_filter = QComboBox()
        for label, value in (
            ("全部行", None),
            ("仅被拒绝的行", "refuse"),
            ("仅新增", "create"),
            ("仅更新", "update"),
        ):
            self.show_filter.addItem(self.tr(label), value)
        self.show_filter.currentIndexChanged.connect(self._show_rows)
        options.addWidget(self.show_filter)

        self.model = OutcomeModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((50, 60, 80, 160, 190)):
            self.table.setColumnWidth(column, width)

        self.save_refused = QPushButton(self.tr("保存被拒绝的行…"))
        self.save_refused.clicked.connect(self.save_refused_rows)
        self.apply_button = QPushButton()
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_refused)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close)

        layout = QVBoxLayout()
        layout.addWidget(self.summary)
        layout.addWidget(QLabel(self.tr("列对应（带 * 的必须对应到文件中的一列）：")))
        layout.addLayout(mapping_box)
        layout.addLayout(options)
        layout.addWidget(self.table, 1)
        dialog_fit.lay_out(self, layout, buttons, preferred=QSize(1180, 680))
        self._update_buttons()
        self.refresh_preview()

    # --- preview ------------------------------------------------------------------------------
    def chosen_columns(self) -> dict[str, int] | None:
        """The mapping in the combos, or None before they were filled (let the file speak)."""
        if not self._mapping_shown:
            return None
        return {key: combo.currentData() for key, combo in self.mapping.items() if combo.currentData()}

    def _fill_mapping(self, headers: dict[int, str], columns: dict[str, int]) -> None:
        for key, combo in self.mapping.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self.tr("（不导入）"), 0)
            for column, text in sorted(headers.items()):
                combo.addItem(f"{column_letters(column)} 列：{text}", column)
            combo.setCurrentIndex(max(combo.findData(columns.get(key, 0)), 0))
            combo.blockSignals(False)
        self._mapping_shown = True

    def refresh_preview(self) -> None:
        Op(
            self,
            self.context,
            preview_teacher_import,
            self.path,
            today=self.context.today(),
            columns=self.chosen_columns(),
            create_schools=self.create_schools.isChecked(),
        ).read_only().success(self._previewed).failure(self._failed).run_in_background(
            self.tr("正在检查 {name}…").format(name=self.path.name), with_progress=True
        )

    def _previewed(self, preview: ImportPreview) -> None:
        self.preview = preview
        self._fill_mapping(preview.header.headers, preview.columns)
        self.summary.setText(
            self.tr("第 {row} 行为表头，共 {n} 行数据：{summary}").format(
                row=preview.header.row, n=len(preview.outcomes), summary=preview.summary()
            )
        )
        self._show_rows()
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        """After the error was shown: say it in the summary, and offer a mapping by hand."""
        self.summary.setText(str(error))
        if not self._mapping_shown and isinstance(error, SpreadsheetError):
            # No header was recognised: offer the first row's columns to map by hand.
            with contextlib.suppress(SpreadsheetError):
                self._fill_mapping(first_row_headers(self.path), {})
        self._update_buttons()

    def _show_rows(self) -> None:
        if self.preview is None:
            return
        wanted = self.show_filter.currentData()
        rows = self.preview.outcomes
        self.model.set_rows([o for o in rows if wanted is None or o.action == wanted])

    def _update_buttons(self) -> None:
        preview = self.preview
        writable = preview.count("create") + preview.count("update") if preview else 0
        self.apply_button.setText(self.tr("导入 {n} 人").format(n=writable))
        self.apply_button.setEnabled(writable > 0 or bool(preview and self.pool.isChecked()))
        self.save_refused.setEnabled(bool(preview and preview.refused))

    # --- actions ------------------------------------------------------------------------------
    def save_refused_rows(self, out: Path | None = None) -> None:
        if self.preview is None:
            return
        if out is None:
            suggested = str(self.path.with_name(f"{self.path.stem}-被拒绝的行.xlsx"))
            chosen, _ = QFileDialog.getSaveFileName(
                self, self.tr("保存被拒绝的行"), suggested, "Excel (*.xlsx)"
            )
            if not chosen:
                return
            out = Path(chosen)

        def saved(count: int) -> None:
            self.context.inform(
                self,
                self.tr("保存被拒绝的行"),
                self.tr("已保存 {n} 行到 {path}，改正后可重新导入。").format(n=count, path=out),
            )

        # A write session: exporting full ID numbers is recorded in the audit log.
        Op(self, self.context, save_refused_rows, self.preview, out).success(saved).run()

    def apply(self) -> None:
        preview = self.preview
        if preview is None:
            return
        reason = self.pool_reason.text().strip() if self.pool.isChecked() else None
        if self.pool.isChecked() and not reason:
            self.context.inform(self, self.tr("导入教师"), self.tr("请填写加入储备库的原因。"))
            return
        Op(
            self,
            self.context,
            apply_teacher_import,
            preview,
            county_code=self.context.db.device.county_code,
            today=self.context.today(),
            reserve_pool_reason=reason,
        ).success(self._applied).failure(self._failed).run_in_background(
            self.tr("正在导入…"), with_progress=True
        )

    def _applied(self, result: ImportResult) -> None:
        self.result_summary = result
        self.context.inform(
            self,
            self.tr("导入教师"),
            self.tr("已导入：新增 {c} 人，更新 {u} 人，新建学校 {s} 所。").format(
                c=result.created, u=result.updated, s=result.schools_created
            ),
        )
        self.accept()
