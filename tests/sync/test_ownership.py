"""Ownership and merges end to end: a real server, two real county databases, the real client.

The same teacher entered on two laptops under two ids becomes one row everywhere, with everything
that refers to it; two laptops editing different fields of one teacher both keep their edit; the
value that lost is in the province's conflict log; a county cannot overwrite a submitted credit."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.engine import create_database
from desktop.db.models import CreditEntry, ReservePoolEntry, School, Teacher
from desktop.services.reserve_pool import add_to_pool
from desktop.sync.client import SyncClient, register
from server.cli import main as server_cli
from tests.sync.conftest import Server

_counties = itertools.count(520201)


@pytest.fixture
def pair(server: Server, tmp_path: Path) -> Iterator[tuple[SyncClient, SyncClient, str]]:
    """Two laptops of a county of their own (so no other test's teachers merge with these)."""
    county = str(next(_counties))
    assert server_cli(["add-county", "--db", server.db, county, "测试县"]) == 0
    clients = []
    for name in ("a", "b"):
        db = create_database(tmp_path / name, county_code=county, county_name="测试县")
        clients.append(SyncClient(db, server.url, register(db, server.url, server.code(county))))
    yield clients[0], clients[1], county
    for client in clients:
        client.db.dispose()


def _teacher(client: SyncClient, id_number: str, school_name: str, **fields: object) -> str:
    """A school and a teacher entered on this laptop, as the add-teacher form would."""
    with client.db.write() as session:
        school = School(name=school_name, county_code=client.db.device.county_code)
        teacher = Teacher(
            id_number=id_number,
            name="王芳",
            gender="2",
            birth_date=dt.date(1985, 3, 1),
            school=school,
            **fields,
        )
        session.add_all([school, teacher])
        session.flush()
        return teacher.id


def _edit(client: SyncClient, teacher_id: str, **fields: object) -> None:
    """A teacher edited on one laptop, as the teacher form saves it."""
    with client.db.write() as session:
        teacher = session.get_one(Teacher, teacher_id)
        for name, value in fields.items():
            setattr(teacher, name, value)


def _row(client: SyncClient, id_number: str) -> Teacher:
    with client.db.read() as session:
        teacher = session.scalars(select(Teacher).where(Teacher.id_number == id_number)).one()
        session.expunge(teacher)
        return teacher


def test_one_teacher_entered_on_two_laptops_becomes_one_row(
    server: Server, pair: tuple[SyncClient, SyncClient, str]
) -> None:
    a, b, county = pair
    id_number = f"{county}19850301002X"
    first = _teacher(a, id_number, "一中", phone="13800000001")
    second = _teacher(b, id_number, "二中", note="骨干教师候选")
    with b.db.write() as session:
        add_to_pool(session, [second], reason="县级推荐", day=dt.date(2026, 11, 1))
    assert first != second

    a.sync()
    summary, _ = b.sync()
    a.sync()

    # One row at the province, under the first id; b's id is an alias of it.
    rows = server.query(f"SELECT row_id FROM rows WHERE entity = 'teacher' AND natural_key = '{id_number}'")
    assert rows == [(first,)]
    assert server.query(f"SELECT canonical_id FROM row_aliases WHERE alias_id = '{second}'") == [(first,)]
    # b re-keyed its teacher and the reserve-pool entry that refers to it, without a push of its own.
    assert _row(b, id_number).id == first
    with b.db.read() as session:
        assert session.scalars(select(ReservePoolEntry.teacher_id)).all() == [first]
    server_pool = server.query("SELECT payload FROM rows WHERE entity = 'reserve_pool_entry'")
    assert first in server_pool[0][0] and second not in server_pool[0][0]
    assert summary.rejected == []
    # Both laptops hold the same teacher, with the phone from a and (b's later) school and note from b.
    assert _row(a, id_number).phone == _row(b, id_number).phone == "13800000001"
    assert _row(a, id_number).note == _row(b, id_number).note == "骨干教师候选"
    assert _row(a, id_number).school_id == _row(b, id_number).school_id


def test_two_laptops_edit_different_fields_and_both_edits_stay(
    server: Server, pair: tuple[SyncClient, SyncClient, str]
) -> None:
    a, b, county = pair
    id_number = f"{county}19850301003X"
    teacher_id = _teacher(a, id_number, "一中")
    a.sync()
    b.sync()

    # Offline, each changes one field; b's edit is the later one but does not touch the phone.
    _edit(a, teacher_id, phone="13900000001")
    _edit(b, teacher_id, title="2")
    a.sync()
    b.sync()
    a.sync()

    for client in (a, b):
        row = _row(client, id_number)
        assert (row.phone, row.title) == ("13900000001", "2")
    assert server.query(f"SELECT count(*) FROM conflict_log WHERE row_id = '{teacher_id}'") == [(0,)]

    # Now both change the phone: the later edit wins everywhere and the other is logged.
    _edit(a, teacher_id, phone="13900000002")
    _edit(b, teacher_id, phone="13900000003")
    b.sync()
    a.sync()
    b.sync()
    assert _row(a, id_number).phone == _row(b, id_number).phone == "13900000003"
    logged = server.query(
        f"SELECT field, kept_value, lost_value FROM conflict_log WHERE row_id = '{teacher_id}'"
    )
    assert logged == [("phone", '"13900000003"', '"13900000002"')]


def test_the_province_reviews_the_conflict_log(
    server: Server, pair: tuple[SyncClient, SyncClient, str], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, county = pair
    teacher_id = _teacher(a, f"{county}19850301005X", "一中")
    a.sync()
    b.sync()
    _edit(a, teacher_id, phone="13912345678")
    _edit(b, teacher_id, phone="13787654321")
    b.sync()
    a.sync()
    capsys.readouterr()

    assert server_cli(["conflicts", "--db", server.db, county]) == 0
    listed = capsys.readouterr().out
    # The phone numbers are masked in the list; the rule and the field are named.
    assert "phone" in listed and "139****5678" in listed and "137****4321" in listed
    assert "13912345678" not in listed and "共 1 条" in listed
    assert server_cli(["conflicts", "--db", server.db, county, "--reviewed"]) == 0
    assert "已标记 1 条" in capsys.readouterr().out
    assert server_cli(["conflicts", "--db", server.db, county]) == 0
    assert "共 0 条" in capsys.readouterr().out


def test_a_submitted_credit_cannot_be_changed_by_the_county(
    server: Server, pair: tuple[SyncClient, SyncClient, str]
) -> None:
    a, _b, county = pair
    teacher_id = _teacher(a, f"{county}19850301004X", "一中")
    with a.db.write() as session:
        credit = CreditEntry(
            teacher_id=teacher_id, year=2026, level="county", hours=30, credits=3, status="submitted"
        )
        session.add(credit)
        session.flush()
        credit_id = credit.id
    a.sync()
    # Behind the service's back (the app itself refuses this edit): a county version after submission.
    with a.db.write() as session:
        session.get_one(CreditEntry, credit_id).credits = 9
    summary, _ = a.sync()

    assert [c.op_id for c in summary.conflicts]  # told, and kept on the 同步 page
    stored = server.query(f"SELECT payload FROM rows WHERE row_id = '{credit_id}'")[0][0]
    assert '"credits":3' in stored.replace(".0", "")
