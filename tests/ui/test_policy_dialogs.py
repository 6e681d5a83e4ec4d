"""The project dialog keeps a project's 主题 and its completion rule (结业规则); the school dialog its
poverty designations and where they come from."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from desktop.domain.completion import CompletionRule
from desktop.domain.coverage import SCHOOL_FLAGS
from desktop.services import credits
from desktop.services.projects import ProjectForm
from desktop.services.schools import SchoolForm
from desktop.ui.context import AppContext
from desktop.ui.credits_page import CreditsPage
from desktop.ui.project_dialog import ProjectDialog
from desktop.ui.schools_page import SchoolDialog
from guopei_common.credit_rules import CreditPolicy, CreditRule, CreditRuleVersion
from guopei_common.vocab import TrainingLevel

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


def test_credit_rules_are_shown_read_only_with_their_versions(qtbot, empty_db):
    province = CreditRuleVersion(
        "黔教师〔2026〕1号",
        dt.date(2026, 1, 1),
        CreditPolicy(
            CreditRule(hours_per_credit=12, online_ratio=0.5), by_level={TrainingLevel.SCHOOL: CreditRule(20)}
        ),
    )
    with empty_db.write() as session:
        credits.set_rule_versions(session, [province])
    page = CreditsPage(AppContext(empty_db, today=lambda: dt.date(2026, 6, 1)))
    qtbot.addWidget(page)
    dialog = page.show_rules()
    qtbot.addWidget(dialog)
    table = dialog.table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert rows[0] == [
        "省学分规则 黔教师〔2026〕1号",
        "2026-01-01",
        "其他",
        "每 12 学时 1 学分，线上 1 学时按 0.5 学时计，按 0.1 学分向下取整",
        "现行",
    ]
    assert rows[1][2:4] == ["校级", "每 20 学时 1 学分，按 0.1 学分向下取整"]
    assert rows[-1][0].startswith("本县学分规则") and rows[-1][4] == ""
    assert table.editTriggers() == table.EditTrigger.NoEditTriggers
