"""The project dialog keeps a project's 主题 and its completion rule (结业规则); the school dialog its
poverty designations and where they come from."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from desktop.domain.completion import CompletionRule
from desktop.domain.coverage import SCHOOL_FLAGS
from desktop.services.projects import ProjectForm
from desktop.services.schools import SchoolForm
from desktop.ui.project_dialog import ProjectDialog
from desktop.ui.schools_page import SchoolDialog

FORM = ProjectForm(
    code="XP2026-PT-009",
    name="心理健康教育专题培训",
    program="county",
    project_type="thematic",
    mode="blended",
    hours=30,
    credits=3,
    start_date=dt.date(2026, 9, 1),
    end_date=dt.date(2026, 9, 5),
    quota=50,
    topic="心理健康教育",
    completion_rule=CompletionRule(max_absence_share=Fraction(1, 3), assessment_required=True),
)


def test_topic_and_completion_rule_round_trip_and_edit(qtbot):
    saved: list[ProjectForm] = []
    dialog = ProjectDialog(None, save=saved.append, initial=FORM, today=dt.date(2026, 8, 1))
    qtbot.addWidget(dialog)
    assert dialog.topic.text() == "心理健康教育"
    assert dialog.max_absence.value() == 33 and dialog.assessment_required.isChecked()
    assert dialog.form() == FORM  # 1/3 is kept exactly while the percentage is untouched
    dialog.max_absence.setValue(10)
    dialog.min_hours.setValue(24)
    dialog.outcome_required.setChecked(False)
    dialog.try_save()
    assert saved[0].completion_rule == CompletionRule(
        max_absence_share=Fraction(1, 10),
        min_attendance_hours=24,
        assessment_required=True,
        outcome_required=False,
    )
    assert saved[0].topic == "心理健康教育"


def test_school_dialog_carries_every_designation_with_its_source(qtbot):
    initial = SchoolForm(
        "牙舟镇中心小学",
        "牙舟镇",
        is_rural=True,
        in_former_poverty_county=True,
        flags_source="省乡村振兴局名单",
    )
    saved: list[SchoolForm] = []
    dialog = SchoolDialog(None, save=saved.append, initial=initial)
    qtbot.addWidget(dialog)
    assert [box.text() for box in dialog.flags.values()] == [flag.label for flag in SCHOOL_FLAGS]
    assert all(box.toolTip() for box in dialog.flags.values())
    assert dialog.form() == initial
    dialog.flags["in_key_assistance_county"].setChecked(True)
    dialog.try_save()
    assert saved[0].in_key_assistance_county and saved[0].in_former_poverty_county
    assert saved[0].flags_source == "省乡村振兴局名单"
