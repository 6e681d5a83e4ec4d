"""The teacher roster (教师参训数据库): filtered, searchable lists built from ids, and one teacher's file.

Search answers as the user types, so every query here is an indexed range or an FTS5 lookup, never a
scan: name prefix and given-name prefix for Chinese, pinyin and initials prefix for Latin letters,
trigram FTS for three or more digits of an ID number or phone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, text
from sqlalchemy.orm import Session

from desktop.db.models import ReservePoolEntry, School, Teacher
from desktop.domain.roles import Permission
from desktop.services import access
from guopei_common.idnumber import mask_id_number, mask_phone
from guopei_common.vocab import EmploymentStatus

# Sorts after every character a name, pinyin or digit string can hold: `col >= q AND col < q + END`
# is a prefix match that an ordinary (binary) index answers.
_PREFIX_END = "\U0010ffff"


@dataclass(frozen=True)
class TeacherFilter:
    query: str = ""
    school_id: str | None = None
    township: str | None = None
    stage: str | None = None
    subject: str | None = None
    title: str | None = None
    role: str | None = None
    backbone_level: str | None = None
    rural: bool | None = None
    poverty_area: bool | None = None
    reserve_pool: bool | None = None
    include_inactive: bool = False


@dataclass(frozen=True)
class TeacherRow:
    """One line of the teachers table, personal numbers masked."""

    id: str
    name: str
    gender: str
    masked_id_number: str
    school_name: str
    township: str
    stage: str
    subject: str
    title: str
    role: str
    backbone_level: str
    masked_phone: str
    employment_status: str
    in_reserve_pool: bool


def normalise_query(raw: str) -> str:
    """Full-width to half-width, spaces removed, lower case: what people type into the search box."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).lower()


def _prefix(column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    return and_(column >= value, column < value + _PREFIX_END)


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK")


def search_condition(raw: str) -> ColumnElement[bool] | None:
    """The teachers a search box's text finds (name, pinyin initials, ID or phone digits), for the other
    lists that show teachers (学分 …) to search the way the roster does; None for an empty box."""
    return _query_condition(normalise_query(raw))


def _query_condition(query: str) -> ColumnElement[bool] | None:
    if not query:
        return None
    if query.replace("x", "").isdigit():
        if len(query) >= 3:
            # FTS5 trigram: the digits anywhere in the ID number or phone; quoted so they are a phrase.
            return text(
                "teachers.rowid IN (SELECT rowid FROM teacher_digits WHERE teacher_digits MATCH :phrase)"
            ).bindparams(phrase=f'"{query.upper()}"')
        return or_(_prefix(Teacher.id_number, query), _prefix(Teacher.phone, query))
    if query.isascii() and query.isalpha():
        if len(query) == 1:
            # One letter: initials and pinyin start alike, and the sort column's prefix is the same
            # set, read in order from the covering index.
            return _prefix(Teacher.name_sort, query)
        return or_(_prefix(Teacher.name_initials, query), _prefix(Teacher.name_pinyin, query))
    if all(_is_cjk(char) or char == "·" for char in query):
        return or_(_prefix(Teacher.name, query), _prefix(Teacher.given_name, query))
    # Anything else (a mix of scripts, punctuation): a plain substring of the name, rare enough to scan.
    return Teacher.name.contains(query, autoescape=True)


def _filter_conditions(flt: TeacherFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Teacher.deleted.is_(False)]
    if not flt.include_inactive:
        conditions.append(Teacher.employment_status == EmploymentStatus.ACTIVE)
    for column, value in (
        (Teacher.school_id, flt.school_id),
        (Teacher.stage, flt.stage),
        (Teacher.subject, flt.subject),
        (Teacher.title, flt.title),
        (Teacher.role, flt.role),
        (Teacher.backbone_level, flt.backbone_level),
        (School.township, flt.township),
    ):
        if value is not None:
            conditions.append(column == value)
    if flt.rural is not None:
        conditions.append(School.is_rural.is_(flt.rural))
    if flt.poverty_area is not None:
        in_area = School.in_poverty_area
        conditions.append(in_area if flt.poverty_area else ~in_area)
    if flt.reserve_pool is not None:
        pooled = exists().where(
            ReservePoolEntry.teacher_id == Teacher.id,
            ReservePoolEntry.removed_on.is_(None),
            ReservePoolEntry.deleted.is_(False),
        )
        conditions.append(pooled if flt.reserve_pool else ~pooled)
    query_condition = _query_condition(normalise_query(flt.query))
    if query_condition is not None:
        conditions.append(query_condition)
    return conditions


def filtered_teachers(flt: TeacherFilter, *, descending: bool = False) -> Select:
    """`SELECT teachers.id …` for the filter, in pinyin order (how a Chinese list is read)."""
    statement = select(Teacher.id).where(*_filter_conditions(flt))
    if flt.township is not None or flt.rural is not None or flt.poverty_area is not None:
        statement = statement.join(School, Teacher.school_id == School.id)
    order = (Teacher.name_sort, Teacher.name, Teacher.id_number)
    return statement.order_by(*(column.desc() for column in order) if descending else order)


def teacher_ids(
    session: Session, flt: TeacherFilter, *, descending: bool = False, limit: int | None = None
) -> list[str]:
    """The ordered ids of every teacher the filter selects (the first `limit` of them: the teachers
    page shows its first screen before it reads thousands of matches); the table model pages rows
    from these."""
    access.require(session, Permission.VIEW)
    return list(session.scalars(filtered_teachers(flt, descending=descending).limit(limit)))


def teacher_rows(session: Session, ids: Sequence[str]) -> list[TeacherRow]:
    """Rows for the given ids, in the same order (one query for a visible page of the table)."""
    pooled = select(ReservePoolEntry.teacher_id).where(
        ReservePoolEntry.teacher_id.in_(ids),
        ReservePoolEntry.removed_on.is_(None),
        ReservePoolEntry.deleted.is_(False),
    )
    in_pool = set(session.scalars(pooled))
    # Columns, not ORM objects: a page of 200 rows is read on every search and scroll.
    result = session.execute(
        select(
            Teacher.id,
            Teacher.name,
            Teacher.gender,
            Teacher.id_number,
            School.name,
            School.township,
            Teacher.stage,
            Teacher.subject,
            Teacher.title,
            Teacher.role,
            Teacher.backbone_level,
            Teacher.phone,
            Teacher.employment_status,
        )
        .join(School, Teacher.school_id == School.id)
        .where(Teacher.id.in_(ids))
    ).all()
    by_id = {
        row[0]: TeacherRow(
            id=row[0],
            name=row[1],
            gender=row[2],
            masked_id_number=mask_id_number(row[3]),
            school_name=row[4],
            township=row[5],
            stage=row[6],
            subject=row[7],
            title=row[8],
            role=row[9],
            backbone_level=row[10],
            masked_phone=mask_phone(row[11]) if row[11] else "",
            employment_status=row[12],
            in_reserve_pool=row[0] in in_pool,
        )
        for row in result
    }
    return [by_id[i] for i in ids if i in by_id]


def townships(session: Session) -> list[str]:
    rows = session.scalars(
        select(School.township).where(School.deleted.is_(False), School.township != "").distinct()
    )
    return sorted(rows)


def schools(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every school, for filters and pickers."""
    return [
        (row.id, row.name)
        for row in session.execute(
            select(School.id, School.name).where(School.deleted.is_(False)).order_by(School.name)
        )
    ]
