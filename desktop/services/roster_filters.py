"""`--filter KEY=VALUE` for the command line: the same filters as the teachers page, typed in Chinese."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import School
from desktop.domain.codes import code_table
from desktop.errors import UserInputError
from desktop.services.roster import TeacherFilter
from guopei_common.vocab import BackboneLevel, TeacherRole

YES = {"是", "yes", "true", "1", "乡村", "在"}
NO = {"否", "no", "false", "0", "城镇", "不在"}
KEYS = {
    "学校": "school_id",
    "school": "school_id",
    "乡镇": "township",
    "township": "township",
    "学段": "stage",
    "stage": "stage",
    "学科": "subject",
    "subject": "subject",
    "职称": "title",
    "title": "title",
    "身份": "role",
    "role": "role",
    "骨干": "backbone_level",
    "backbone": "backbone_level",
    "城乡": "rural",
    "rural": "rural",
    "贫困地区": "poverty_area",
    "poverty": "poverty_area",
    "储备库": "reserve_pool",
    "reserve": "reserve_pool",
}


def parse_filters(session: Session, expressions: list[str], *, query: str = "") -> TeacherFilter:
    values: dict[str, object] = {"query": query}
    for expression in expressions:
        key, sep, text = expression.partition("=")
        field = KEYS.get(key.strip())
        if not sep or field is None:
            chinese_keys = "、".join(key for key in KEYS if not key.isascii())
            raise UserInputError(f"无法理解筛选条件“{expression}”：应写成 键=值，键可用 {chinese_keys}")
        values[field] = _value(session, field, text.strip(), expression)
    return TeacherFilter(**values)  # type: ignore[arg-type]


def _value(session: Session, field: str, text: str, expression: str) -> object:
    if field in ("rural", "poverty_area", "reserve_pool"):
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise UserInputError(f"筛选条件“{expression}”的值应为 是 或 否")
    if field == "school_id":
        school_id = session.scalar(select(School.id).where(School.name == text))
        if school_id is None:
            raise UserInputError(f"筛选条件“{expression}”：没有名为“{text}”的学校")
        return school_id
    if field in ("stage", "subject", "title"):
        code = code_table(field).code_for(text)
        if code is None:
            raise UserInputError(f"筛选条件“{expression}”：“{text}”不在代码表中")
        return code
    if field in ("role", "backbone_level"):
        enum = TeacherRole if field == "role" else BackboneLevel
        for member in enum:
            if text in (member.label, member.value):
                return member.value
        raise UserInputError(f"筛选条件“{expression}”：无法识别“{text}”")
    return text
