"""Schools, teachers and the reserve pool (教师参训数据库, 储备库)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, ForeignKey, Index, Integer, String, Text, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from desktop.db.base import Base, Synced
from desktop.domain.pinyin import name_pinyin, split_name


class School(Synced, Base):
    """学校/单位: a teacher's employing unit and the sending unit (选派单位) of its trainees."""

    __tablename__ = "schools"
    __sync_entity__ = "school"

    code: Mapped[str] = mapped_column(String(20), default="", index=True)  # 学校标识码
    name: Mapped[str] = mapped_column(String(100), index=True)
    county_code: Mapped[str] = mapped_column(String(6))  # GB/T 2260
    township: Mapped[str] = mapped_column(String(50), default="")  # 乡镇
    is_rural: Mapped[bool] = mapped_column(Boolean, default=False)  # 乡村 (else 城镇)
    stage: Mapped[str] = mapped_column(String(10), default="")  # resources/codes/stage.csv
    in_sanqu_sanzhou: Mapped[bool] = mapped_column(Boolean, default=False)  # 三区三州
    in_contiguous_poverty_area: Mapped[bool] = mapped_column(Boolean, default=False)  # 集中连片特困地区
    # The designations provinces use since 2021 (desktop.domain.coverage.SCHOOL_FLAGS holds their
    # sources), and where the county took this school's flags from.
    in_former_poverty_county: Mapped[bool] = mapped_column(Boolean, default=False)  # 脱贫县
    in_key_assistance_county: Mapped[bool] = mapped_column(Boolean, default=False)  # 国家乡村振兴重点帮扶县
    in_ethnic_area: Mapped[bool] = mapped_column(Boolean, default=False)  # 民族地区
    flags_source: Mapped[str] = mapped_column(String(200), default="")

    teachers: Mapped[list[Teacher]] = relationship(back_populates="school")

    @hybrid_property
    def in_poverty_area(self) -> bool:
        """贫困地区 for the coverage goal (三.): any poverty designation; 民族地区 alone is not one."""
        return (
            self.in_sanqu_sanzhou
            or self.in_contiguous_poverty_area
            or self.in_former_poverty_county
            or self.in_key_assistance_county
        )

    @in_poverty_area.inplace.expression
    @classmethod
    def _in_poverty_area_expression(cls) -> ColumnElement[bool]:
        return or_(
            cls.in_sanqu_sanzhou,
            cls.in_contiguous_poverty_area,
            cls.in_former_poverty_county,
            cls.in_key_assistance_county,
        )


class Teacher(Synced, Base):
    """教师: one person in the county roster, keyed by 居民身份证号."""

    __tablename__ = "teachers"
    __sync_entity__ = "teacher"
    # The roster list in pinyin order straight from one covering index: 200,000 ids in ~60 ms.
    __table_args__ = (
        Index(
            "ix_teachers_list_order", "name_sort", "name", "id_number", "employment_status", "deleted", "id"
        ),
    )

    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    # Search columns derived from `name` (see `_name_search_columns`); indexed for prefix search.
    given_name: Mapped[str] = mapped_column(String(50), default="", index=True)
    name_pinyin: Mapped[str] = mapped_column(String(200), default="", index=True)
    name_initials: Mapped[str] = mapped_column(String(50), default="", index=True)
    name_sort: Mapped[str] = mapped_column(String(250), default="", index=True)  # pinyin order
    gender: Mapped[str] = mapped_column(String(1))  # GB/T 2261.1, derived from the ID number
    birth_date: Mapped[dt.date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(2), default="01")  # GB 3304
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10), default="")
    subject: Mapped[str] = mapped_column(String(10), default="")
    title: Mapped[str] = mapped_column(String(10), default="")  # 职称
    role: Mapped[str] = mapped_column(String(30), default="teacher")  # vocab.TeacherRole
    backbone_level: Mapped[str] = mapped_column(String(20), default="none")  # vocab.BackboneLevel
    phone: Mapped[str] = mapped_column(String(20), default="")
    work_start_year: Mapped[int | None] = mapped_column(Integer)  # 参加工作年份, for years of service
    employment_status: Mapped[str] = mapped_column(String(20), default="active")  # vocab.EmploymentStatus
    emergency_contact: Mapped[str] = mapped_column(String(50), default="")
    emergency_phone: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    school: Mapped[School] = relationship(back_populates="teachers")

    @validates("name")
    def _derive_from_name(self, _key: str, name: str) -> str:
        for column, value in _name_search_columns(name).items():
            setattr(self, column, value)
        return name

    __derived_from__ = frozenset({"name"})

    @classmethod
    def fill_derived(cls, values: dict[str, Any]) -> None:
        values.update(_name_search_columns(values["name"]))


def _name_search_columns(name: str) -> dict[str, str]:
    reading = name_pinyin(name)
    return {
        "given_name": split_name(name)[1],
        "name_pinyin": reading.full,
        "name_initials": reading.initials,
        "name_sort": reading.sort_key,
    }


class ReservePoolEntry(Synced, Base):
    """储备库: a teacher pre-qualified as a candidate; removal keeps the row with its reason."""

    __tablename__ = "reserve_pool_entries"
    __sync_entity__ = "reserve_pool_entry"

    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id"), index=True)
    added_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_reason: Mapped[str] = mapped_column(Text, default="")
