"""Field-level validation of a teacher's record, with messages a person can act on."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from desktop.domain.codes import code_table
from guopei_common.errors import RuleViolation
from guopei_common.idnumber import IdNumber, InvalidIdNumber, parse_id_number
from guopei_common.vocab import BackboneLevel, TeacherRole

ROLES = frozenset(role.value for role in TeacherRole)
BACKBONE_LEVELS = frozenset(level.value for level in BackboneLevel)
PHONE = re.compile(r"^1[3-9]\d{9}$")
# Chinese names, with the middle dot of minority names (阿依古丽·买买提); CJK Extension A included.
NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f·]{2,30}$")


@dataclass(frozen=True)
class TeacherForm:
    """A teacher's editable fields as text, the way a dialog or a spreadsheet row gives them."""

    name: str
    id_number: str
    school_id: str
    stage: str = ""
    subject: str = ""
    title: str = ""
    role: str = TeacherRole.TEACHER.value
    backbone_level: str = BackboneLevel.NONE.value
    phone: str = ""
    ethnicity: str = "01"
    work_start_year: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""


@dataclass(frozen=True)
class ValidTeacher:
    form: TeacherForm
    id_number: IdNumber
    work_start_year: int | None


class TeacherInvalid(RuleViolation):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors  # field -> message


def validate_teacher(form: TeacherForm, *, today: dt.date) -> ValidTeacher:
    """Every problem at once, field by field; raises TeacherInvalid when there is any."""
    errors: dict[str, str] = {}
    if not form.name:
        errors["name"] = "姓名不能为空"
    elif not NAME.match(form.name):
        errors["name"] = f"姓名“{form.name}”应为 2–30 个汉字（少数民族姓名可用“·”分隔）"
    parsed: IdNumber | None = None
    try:
        parsed = parse_id_number(form.id_number, today=today)
    except InvalidIdNumber as error:
        errors["id_number"] = f"身份证号有误：{error.reason}"
    if not form.school_id:
        errors["school_id"] = "请选择学校/单位"
    for field, table, caption in (
        ("stage", "stage", "学段"),
        ("subject", "subject", "学科"),
        ("title", "title", "职称"),
        ("ethnicity", "ethnicity", "民族"),
    ):
        value = getattr(form, field)
        if value and code_table(table).code_for(value) != value:
            errors[field] = f"{caption}代码“{value}”不在国家代码表中"
    if form.role not in ROLES:
        errors["role"] = f"身份“{form.role}”无效"
    if form.backbone_level not in BACKBONE_LEVELS:
        errors["backbone_level"] = f"骨干级别“{form.backbone_level}”无效"
    for field, caption in (("phone", "手机号"), ("emergency_phone", "紧急联系人电话")):
        value = getattr(form, field)
        if value and not PHONE.match(value):
            errors[field] = f"{caption}“{value}”应为 11 位手机号码"
    year: int | None = None
    if form.work_start_year:
        if not form.work_start_year.isdigit():
            errors["work_start_year"] = "参加工作年份应为四位数字，如 2008"
        else:
            year = int(form.work_start_year)
            earliest = parsed.birth_date.year + 16 if parsed else 1950
            if not earliest <= year <= today.year:
                errors["work_start_year"] = f"参加工作年份 {year} 不合理（应在 {earliest}–{today.year} 之间）"
    if errors:
        raise TeacherInvalid(errors)
    assert parsed is not None
    return ValidTeacher(form=form, id_number=parsed, work_start_year=year)
