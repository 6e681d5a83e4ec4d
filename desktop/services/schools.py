"""Schools (学校/单位): the list with head counts, and adding or correcting a school."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import ReservePoolEntry, School, Teacher
from desktop.domain.codes import code_table
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access
from guopei_common.vocab import EmploymentStatus

SCHOOL_CODE = re.compile(r"^\d{10}$")  # 学校标识码: ten digits


@dataclass(frozen=True)
class SchoolForm:
    name: str
    township: str = ""
    code: str = ""
    stage: str = ""
    is_rural: bool = False
    in_sanqu_sanzhou: bool = False
    in_contiguous_poverty_area: bool = False
    in_former_poverty_county: bool = False  # 脱贫县
    in_key_assistance_county: bool = False  # 国家乡村振兴重点帮扶县
    in_ethnic_area: bool = False  # 民族地区
    flags_source: str = ""  # where the county took the designations from


@dataclass(frozen=True)
class SchoolRow:
    id: str
    name: str
    code: str
    township: str
    stage: str
    is_rural: bool
    in_sanqu_sanzhou: bool
    in_contiguous_poverty_area: bool
    active_teachers: int
    in_reserve_pool: int


class SchoolInvalid(UserInputError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def school_rows(session: Session) -> list[SchoolRow]:
    active = (
        select(Teacher.school_id, func.count().label("n"))
        .where(Teacher.deleted.is_(False), Teacher.employment_status == EmploymentStatus.ACTIVE)
        .group_by(Teacher.school_id)
        .subquery()
    )
    pooled = (
        select(Teacher.school_id, func.count().label("n"))
        .join(ReservePoolEntry, ReservePoolEntry.teacher_id == Teacher.id)
        .where(ReservePoolEntry.removed_on.is_(None), ReservePoolEntry.deleted.is_(False))
        .group_by(Teacher.school_id)
        .subquery()
    )
    rows = session.execute(
        select(School, func.coalesce(active.c.n, 0), func.coalesce(pooled.c.n, 0))
        .outerjoin(active, active.c.school_id == School.id)
        .outerjoin(pooled, pooled.c.school_id == School.id)
        .where(School.deleted.is_(False))
        .order_by(School.township, School.name)
    )
    return [
        SchoolRow(
            s.id,
            s.name,
            s.code,
            s.township,
            s.stage,
            s.is_rural,
            s.in_sanqu_sanzhou,
            s.in_contiguous_poverty_area,
            teachers,
            pool,
        )
        for s, teachers, pool in rows
    ]


def _validate(session: Session, form: SchoolForm, *, except_id: str | None) -> None:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = "学校名称不能为空"
    else:
        other = session.scalar(
            select(School.id).where(School.name == form.name.strip(), School.deleted.is_(False))
        )
        if other is not None and other != except_id:
            errors["name"] = f"已有名为“{form.name}”的学校"
    if form.code and not SCHOOL_CODE.match(form.code):
        errors["code"] = f"学校标识码“{form.code}”应为 10 位数字"
    if len(form.flags_source.strip()) > 200:
        errors["flags_source"] = "标注依据最长 200 字"
    if form.stage and code_table("stage").code_for(form.stage) != form.stage:
        errors["stage"] = f"学段代码“{form.stage}”不在代码表中"
    if errors:
        raise SchoolInvalid(errors)


def _apply(school: School, form: SchoolForm) -> None:
    school.name = form.name.strip()
    school.township = form.township.strip()
    school.code = form.code
    school.stage = form.stage
    school.is_rural = form.is_rural
    school.in_sanqu_sanzhou = form.in_sanqu_sanzhou
    school.in_contiguous_poverty_area = form.in_contiguous_poverty_area
    school.in_former_poverty_county = form.in_former_poverty_county
    school.in_key_assistance_county = form.in_key_assistance_county
    school.in_ethnic_area = form.in_ethnic_area
    school.flags_source = form.flags_source.strip()


def add_school(session: Session, form: SchoolForm, *, county_code: str) -> str:
    access.require(session, Permission.EDIT_ROSTER)
    _validate(session, form, except_id=None)
    school = School(county_code=county_code)
    _apply(school, form)
    session.add(school)
    session.flush()
    return school.id


def update_school(session: Session, school_id: str, form: SchoolForm) -> None:
    access.require(session, Permission.EDIT_ROSTER)
    _validate(session, form, except_id=school_id)
    _apply(session.get_one(School, school_id), form)


def form_of(session: Session, school_id: str) -> SchoolForm:
    s = session.get_one(School, school_id)
    return SchoolForm(
        s.name,
        s.township,
        s.code,
        s.stage,
        s.is_rural,
        s.in_sanqu_sanzhou,
        s.in_contiguous_poverty_area,
        s.in_former_poverty_county,
        s.in_key_assistance_county,
        s.in_ethnic_area,
        s.flags_source,
    )
