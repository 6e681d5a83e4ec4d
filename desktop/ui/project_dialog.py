"""新建/编辑培训项目: the project's facts and its target conditions (参训条件)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.codes import code_table
from desktop.domain.completion import CompletionRule
from desktop.services.projects import FormInvalid, ProjectForm
from desktop.ui import dialog_fit
from desktop.ui.teacher_dialog import select_data, vocab_combo
from guopei_common import vocab
from guopei_common.conditions import Conditions
from guopei_common.errors import UserError


def _date_edit(value: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _checklist(items: list[tuple[str, str]], checked: tuple[str, ...]) -> QListWidget:
    widget = QListWidget()
    widget.setMaximumHeight(110)
    for label, code in items:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, code)
        item.setCheckState(Qt.CheckState.Checked if code in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    return widget


def _checked(widget: QListWidget) -> tuple[str, ...]:
    return tuple(
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    )


class ProjectDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        *,
        save: Callable[[ProjectForm], None],
        initial: ProjectForm | None,
        today: dt.date,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("编辑项目") if initial else self.tr("新建项目"))
        self._save = save
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.program = vocab_combo(vocab.Program)
        self.project_type = vocab_combo(vocab.ProjectType)
        self.mode = vocab_combo(vocab.DeliveryMode)
        self.topic = QLineEdit(
            placeholderText=self.tr("如 心理健康教育、新课标教学（同级同类同主题视为同类培训）")
        )
        self.topic.setMaxLength(50)
        self.hours = QDoubleSpinBox(maximum=1000, decimals=1, value=24)
        self.credits = QDoubleSpinBox(maximum=100, decimals=1, value=2.4)
        self.start = _date_edit(today)
        self.end = _date_edit(today + dt.timedelta(days=4))
        self.quota = QSpinBox(maximum=10_000, value=50)
        self.institution = QLineEdit()
        self.expert = QLineEdit()
        self.stages = _checklist([(i.label, i.code) for i in code_table("stage").items], ())
        self.subjects = _checklist([(i.label, i.code) for i in code_table("subject").items], ())
        self.roles = _checklist([(m.label, m.value) for m in vocab.TeacherRole], ())
        self.min_years = QSpinBox(maximum=50, specialValueText=self.tr("不限"))
        self.max_age = QSpinBox(maximum=70, specialValueText=self.tr("不限"))
        self.rural_only = QCheckBox(self.tr("仅乡村学校"))
        self.poverty_only = QCheckBox(self.tr("仅贫困地区"))
        self.pool_only = QCheckBox(self.tr("仅储备库"))
        # 结业规则 (六. 严格过程管理): how much absence a trainee may have and what else completion needs.
        self._rule = CompletionRule()
        self.max_absence = QSpinBox(maximum=100, suffix=" %", value=20)
        self.min_hours = QDoubleSpinBox(maximum=1000, decimals=1, specialValueText=self.tr("不限"))
        self.assessment_required = QCheckBox(self.tr("须考核合格"))
        self.outcome_required = QCheckBox(self.tr("须提交研修成果"), checked=True)
        # A refusal the form cannot place beside one field (e.g. the epidemic switch) shows here.
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.field_errors: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {}
        if initial is None:
            # The county creates its own projects here (the province's arrive by sync): 县培, 线下.
            select_data(self.program, vocab.Program.COUNTY.value)
            select_data(self.mode, vocab.DeliveryMode.OFFLINE.value)

        facts = QFormLayout()
        note = QLabel(self.tr("带 {star} 的为必填项").format(star=REQUIRED_STAR), objectName="formNote")
        facts.addRow(note)
        facts.addRow(_required(self.tr("项目编号")), self._field(("code",), self.code))
        facts.addRow(_required(self.tr("项目名称")), self._field(("name",), self.name))
        facts.addRow(_required(self.tr("计划层级")), self._field(("program",), self.program))
        facts.addRow(_required(self.tr("培训类型")), self._field(("project_type",), self.project_type))
        facts.addRow(self.tr("主题"), self.topic)
        facts.addRow(_required(self.tr("培训方式")), self._field(("mode",), self.mode))
        hours = self._field(("hours", "credits"), _row(self.hours, self.credits))
        facts.addRow(_required(self.tr("学时 / 学分")), hours)
        dates = self._field(("start_date", "end_date"), _row(self.start, self.end))
        facts.addRow(_required(self.tr("起止日期")), dates)
        facts.addRow(_required(self.tr("名额")), self._field(("quota",), self.quota))
        facts.addRow(self.tr("承担机构"), self.institution)
        facts.addRow(self.tr("首席专家"), self.expert)
        conditions = QFormLayout()
        conditions.addRow(self.tr("学段（不选为不限）"), self.stages)
        conditions.addRow(self.tr("学科（不选为不限）"), self.subjects)
        conditions.addRow(self.tr("身份（不选为不限）"), self.roles)
        conditions.addRow(self.tr("最低教龄（年）/ 最高年龄"), _row(self.min_years, self.max_age))
        conditions.addRow("", _row(self.rural_only, self.poverty_only, self.pool_only))
        conditions.addRow(self.tr("结业：缺勤上限 / 最低学时"), _row(self.max_absence, self.min_hours))
        conditions.addRow("", _row(self.assessment_required, self.outcome_required))
        columns = QHBoxLayout()
        columns.addLayout(facts, 1)
        columns.addLayout(conditions, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout()
        layout.addLayout(columns)
        layout.addWidget(self.error)
        dialog_fit.lay_out(self, layout, buttons)
        if initial:
            self.set_form(initial)

    def set_form(self, form: ProjectForm) -> None:
        self.code.setText(form.code)
        self.name.setText(form.name)
        select_data(self.program, form.program)
        select_data(self.project_type, form.project_type)
        select_data(self.mode, form.mode)
        self.hours.setValue(form.hours)
        self.credits.setValue(form.credits)
        self.start.setDate(QDate(form.start_date.year, form.start_date.month, form.start_date.day))
        self.end.setDate(QDate(form.end_date.year, form.end_date.month, form.end_date.day))
        self.quota.setValue(form.quota)
        self.institution.setText(form.institution)
        self.expert.setText(form.chief_expert)
        c = form.conditions
        for widget, codes in ((self.stages, c.stages), (self.subjects, c.subjects), (self.roles, c.roles)):
            for i in range(widget.count()):
                item = widget.item(i)
                state = (
                    Qt.CheckState.Checked
                    if item.data(Qt.ItemDataRole.UserRole) in codes
                    else Qt.CheckState.Unchecked
                )
                item.setCheckState(state)
        self.min_years.setValue(c.min_years or 0)
        self.max_age.setValue(c.max_age or 0)
        self.rural_only.setChecked(c.rural_only)
        self.poverty_only.setChecked(c.poverty_area_only)
        self.pool_only.setChecked(c.reserve_pool_only)
        self.topic.setText(form.topic)
        self._rule = rule = form.completion_rule
        self.max_absence.setValue(round(float(rule.max_absence_share) * 100))
        self.min_hours.setValue(rule.min_attendance_hours or 0)
        self.assessment_required.setChecked(rule.assessment_required)
        self.outcome_required.setChecked(rule.outcome_required)

    def form(self) -> ProjectForm:
        return ProjectForm(
            code=self.code.text().strip(),
            name=self.name.text().strip(),
            program=self.program.currentData(),
            project_type=self.project_type.currentData(),
            mode=self.mode.currentData(),
            hours=self.hours.value(),
            credits=self.credits.value(),
            start_date=self.start.date().toPython(),
            end_date=self.end.date().toPython(),
            quota=self.quota.value(),
            institution=self.institution.text().strip(),
            chief_expert=self.expert.text().strip(),
            conditions=Conditions(
                stages=_checked(self.stages),
                subjects=_checked(self.subjects),
                roles=_checked(self.roles),
                min_years=self.min_years.value() or None,
                max_age=self.max_age.value() or None,
                rural_only=self.rural_only.isChecked(),
                poverty_area_only=self.poverty_only.isChecked(),
                reserve_pool_only=self.pool_only.isChecked(),
            ),
            topic=self.topic.text().strip(),
            completion_rule=self._completion_rule(),
        )

    def _completion_rule(self) -> CompletionRule:
        percent = self.max_absence.value()
        kept = self._rule.max_absence_share
        # A share the spin box cannot show exactly (1/3) stays as it was unless the percentage changed.
        share = kept if round(float(kept) * 100) == percent else Fraction(percent, 100)
        return CompletionRule(
            max_absence_share=share,
            min_attendance_hours=self.min_hours.value() or None,
            assessment_required=self.assessment_required.isChecked(),
            outcome_required=self.outcome_required.isChecked(),
        )

    def _field(self, keys: tuple[str, ...], widget: QWidget) -> QWidget:
        """The field with room for its error right under it (hidden while there is none)."""
        error = QLabel(objectName="fieldError", wordWrap=True, visible=False)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        for key in keys:
            self.field_errors[key] = error
            self.field_widgets[key] = widget
        return holder

    def show_errors(self, errors: dict[str, str], general: str = "") -> None:
        """Each error beside its field, the first such field focused; the rest under the form."""
        for label in set(self.field_errors.values()):
            label.clear()
            label.setVisible(False)
        unplaced = [general] if general else []
        for key, text in errors.items():
            label = self.field_errors.get(key)
            if label is None:
                unplaced.append(text)
                continue
            label.setText("\n".join(filter(None, (label.text(), text))))
            label.setVisible(True)
        self.error.setText("\n".join(unplaced))
        first = next((key for key in self.field_widgets if key in errors), None)
        if first is not None:
            self.field_widgets[first].setFocus()

    def try_save(self) -> None:
        self.show_errors({})
        try:
            self._save(self.form())
        except FormInvalid as invalid:
            self.show_errors(invalid.errors)
            return
        except UserError as refused:  # a rule of the province's policy, not one field's
            self.show_errors({}, str(refused))
            return
        self.accept()


REQUIRED_STAR = '<span style="color:#c0392b">*</span>'


def _required(caption: str) -> QLabel:
    return QLabel(f"{caption} {REQUIRED_STAR}")


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return holder
