"""新增/编辑教师: a form whose every field says what is wrong with it, in place."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.codes import code_table
from desktop.domain.teacher_rules import TeacherForm, TeacherInvalid
from desktop.ui import dialog_fit
from guopei_common import vocab


def code_combo(table: str, *, blank: str | None = "（未填）") -> QComboBox:
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, "")
    for item in code_table(table).items:
        combo.addItem(item.label, item.code)
    return combo


def vocab_combo(enum: type[vocab.Labelled]) -> QComboBox:
    combo = QComboBox()
    for member in enum:
        combo.addItem(member.label, member.value)
    return combo


def select_data(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


class TeacherDialog(QDialog):
    """Collects a TeacherForm; `save` (a service call supplied by the page) decides if it is valid."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        schools: list[tuple[str, str]],
        save: Callable[[TeacherForm], None],
        initial: TeacherForm | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("编辑教师") if initial else self.tr("新增教师"))
        self._save = save
        self.fields: dict[str, QWidget] = {
            "name": QLineEdit(),
            "id_number": QLineEdit(),
            "school_id": QComboBox(),
            "stage": code_combo("stage"),
            "subject": code_combo("subject"),
            "title": code_combo("title"),
            "role": vocab_combo(vocab.TeacherRole),
            "backbone_level": vocab_combo(vocab.BackboneLevel),
            "ethnicity": code_combo("ethnicity", blank=None),
            "phone": QLineEdit(),
            "work_start_year": QLineEdit(),
            "emergency_contact": QLineEdit(),
            "emergency_phone": QLineEdit(),
        }
        school_combo = self.fields["school_id"]
        assert isinstance(school_combo, QComboBox)
        school_combo.addItem(self.tr("（请选择）"), "")
        for school_id, name in schools:
            school_combo.addItem(name, school_id)
        school_combo.setEditable(True)  # type to find a school among hundreds
        school_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        captions = {
            "name": "姓名",
            "id_number": "身份证号",
            "school_id": "学校/单位",
            "stage": "学段",
            "subject": "学科",
            "title": "职称",
            "role": "身份",
            "backbone_level": "骨干级别",
            "ethnicity": "民族",
            "phone": "手机",
            "work_start_year": "参加工作年份",
            "emergency_contact": "紧急联系人",
            "emergency_phone": "紧急联系人电话",
        }
        form_layout = QFormLayout()
        self.error_labels: dict[str, QLabel] = {}
        for key, widget in self.fields.items():
            error = QLabel()
            error.setStyleSheet("color: #c0392b;")
            error.setVisible(False)
            self.error_labels[key] = error
            holder = QWidget()
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(widget)
            column.addWidget(error)
            form_layout.addRow(self.tr(captions[key]), holder)
        select_data(self.fields["ethnicity"], "01")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        dialog_fit.lay_out(self, form_layout, buttons)
        if initial:
            self.set_form(initial)

    def set_form(self, form: TeacherForm) -> None:
        for key, widget in self.fields.items():
            value = getattr(form, key)
            if isinstance(widget, QLineEdit):
                widget.setText(value)
            elif isinstance(widget, QComboBox):
                select_data(widget, value)

    def form(self) -> TeacherForm:
        values: dict[str, str] = {}
        for key, widget in self.fields.items():
            if isinstance(widget, QLineEdit):
                values[key] = widget.text().strip()
            elif isinstance(widget, QComboBox):
                values[key] = widget.currentData() or ""
        return TeacherForm(**values)

    def try_save(self) -> None:
        for label in self.error_labels.values():
            label.setVisible(False)
        try:
            self._save(self.form())
        except TeacherInvalid as invalid:
            first = None
            for key, message in invalid.errors.items():
                self.error_labels[key].setText(message)
                self.error_labels[key].setVisible(True)
                first = first or self.fields[key]
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.accept()
