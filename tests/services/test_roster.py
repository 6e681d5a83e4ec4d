"""Roster search and filters on a real database: every kind of query the search box takes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from desktop.db.models import ReservePoolEntry, School, Teacher
from desktop.services import reserve_pool
from desktop.services.roster import TeacherFilter, normalise_query, teacher_ids, teacher_rows
from guopei_common.idnumber import make_id_number

PEOPLE = [
    # name, phone, rural school?
    ("张三", "13812345678", False),
    ("张三丰", "13900001111", True),
    ("曾小红", "13700002222", True),
    ("单田芳", "13600003333", False),
    ("翟天临", "13500004444", True),
    ("刘䶮", "13400005555", False),
    ("欧阳修", "13300006666", True),
    ("李小红", "13200007777", False),
]


@pytest.fixture
def roster_db(empty_db):
    with empty_db.write() as session:
        town = School(
            name="平塘县第一小学", county_code="522727", township="平舟镇", is_rural=False, stage="21"
        )
        village = School(
            name="克度镇中心小学",
            county_code="522727",
            township="克度镇",
            is_rural=True,
            in_contiguous_poverty_area=True,
            stage="21",
        )
        session.add_all([town, village])
        session.flush()
        for seq, (name, phone, rural) in enumerate(PEOPLE):
            session.add(
                Teacher(
                    name=name,
                    id_number=make_id_number(
                        region_code="522727", birth_date=dt.date(1980, 1, 1 + seq), sequence=seq, gender="1"
                    ),
                    gender="1",
                    birth_date=dt.date(1980, 1, 1 + seq),
                    school_id=(village if rural else town).id,
                    stage="21",
                    phone=phone,
                )
            )
    return empty_db


def names(db, **filter_values) -> list[str]:
    with db.read() as session:
        ids = teacher_ids(session, TeacherFilter(**filter_values))
        return [row.name for row in teacher_rows(session, ids)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zs", ["张三", "张三丰"]),
        ("zhangsan", ["张三", "张三丰"]),
        ("ZhangSan", ["张三", "张三丰"]),
        ("ｚｓ", ["张三", "张三丰"]),  # full-width letters from a Chinese input method
        ("zeng", ["曾小红"]),  # 曾 as a surname, not ceng
        ("shan", ["单田芳"]),
        ("zhai", ["翟天临"]),
        ("oyx", ["欧阳修"]),
        ("ly", ["刘䶮"]),
        ("张", ["张三", "张三丰"]),  # one character
        ("小红", ["李小红", "曾小红"]),  # two characters of the given name
        ("张三丰", ["张三丰"]),
        ("䶮", ["刘䶮"]),
        ("5678", ["张三"]),  # phone digits
        ("00005", ["刘䶮"]),
        ("13", [p[0] for p in sorted(PEOPLE, key=lambda p: p[0])] and None),  # 1–2 digits: prefix
    ],
)
def test_search_finds_the_right_teachers(roster_db, query, expected):
    found = names(roster_db, query=query)
    if expected is None:
        assert len(found) == len(PEOPLE)  # every phone starts with 13
    else:
        assert sorted(found) == sorted(expected)


def test_id_number_digits_find_the_teacher(roster_db):
    with roster_db.read() as session:
        number = session.scalar(select(Teacher.id_number).where(Teacher.name == "翟天临"))
    assert names(roster_db, query=number[-6:]) == ["翟天临"]
    assert names(roster_db, query=number) == ["翟天临"]


def test_results_are_in_pinyin_order(roster_db):
    ordered = names(roster_db)
    assert ordered[0] == "李小红"  # li < liu < ou < shan < zeng < zhai < zhang
    assert ordered.index("单田芳") < ordered.index("曾小红") < ordered.index("翟天临") < ordered.index("张三")


def test_filters_combine(roster_db):
    assert sorted(names(roster_db, rural=True)) == sorted(p[0] for p in PEOPLE if p[2])
    assert sorted(names(roster_db, poverty_area=False)) == sorted(p[0] for p in PEOPLE if not p[2])
    assert names(roster_db, rural=True, query="zs") == ["张三丰"]
    assert names(roster_db, township="平舟镇", query="小红") == ["李小红"]


def test_reserve_pool_filter_and_removal_keep_history(roster_db):
    with roster_db.read() as session:
        ids = teacher_ids(session, TeacherFilter(query="zs"))
    with roster_db.write() as session:
        assert reserve_pool.add_to_pool(session, ids, reason="乡村骨干后备", day=dt.date(2026, 11, 1)) == 2
        assert reserve_pool.add_to_pool(session, ids, reason="重复加入", day=dt.date(2026, 11, 2)) == 0
    assert sorted(names(roster_db, reserve_pool=True)) == ["张三", "张三丰"]
    with roster_db.write() as session:
        assert reserve_pool.remove_from_pool(session, ids[:1], reason="已调出", day=dt.date(2026, 11, 3)) == 1
    assert len(names(roster_db, reserve_pool=True)) == 1
    with roster_db.read() as session:
        assert (
            session.scalar(select(func.count()).select_from(ReservePoolEntry)) == 2
        )  # the removed one stays


def test_rows_mask_personal_numbers(roster_db):
    with roster_db.read() as session:
        rows = teacher_rows(session, teacher_ids(session, TeacherFilter(query="张三丰")))
    assert rows[0].masked_phone == "139****1111"
    assert rows[0].masked_id_number.startswith("5227") and "**********" in rows[0].masked_id_number


def test_normalise_query():
    assert normalise_query(" Ｚ Ｓ ") == "zs"
    assert normalise_query("４４０５") == "4405"


def test_retired_teachers_are_hidden_unless_asked(roster_db):
    with roster_db.write() as session:
        session.scalars(select(Teacher).where(Teacher.name == "张三")).one().employment_status = "retired"
    assert names(roster_db, query="zs") == ["张三丰"]
    assert sorted(names(roster_db, query="zs", include_inactive=True)) == ["张三", "张三丰"]
