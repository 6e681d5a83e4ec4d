"""A teacher moves between counties and back, on the real server (SQLite and PostgreSQL): A→B, then
A's late records of the trainings it ran follow them; B→C brings A's and B's history; C→A brings them
back to the county that keeps their 调出 record. Each move: requested by the county's own PC, approved
with `guopei-server transfers --approve`, every county syncs and holds what the province holds for it,
and the certificates printed before still verify, online and offline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import Certificate, CreditEntry, Enrollment, EnrollmentEvent, School, Teacher
from desktop.services import certificates
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import SyncClient, register
from guopei_common.certificate_signing import check_code
from server import rules
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import OTHER_COUNTY, Server, as_real_county

A, B, C = COUNTY_CODE, OTHER_COUNTY, "522729"


@dataclass
class Province:
    clients: dict[str, SyncClient]
    schools: dict[str, str]  # county → a school of its own
    holder: Teacher  # A's teacher (detached) who moves
    late_project: str  # a project of A's whose certificates A prints only after the teacher left
    ids: dict[str, str]  # county → its row id for the teacher


@pytest.fixture(scope="module")
def province(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    assert server_cli(["add-county", "--db", server.db, C, "长顺县"]) == 0
    a_dir = tmp_path_factory.mktemp("a") / "county"
    build_demo_county(a_dir, teachers=50, today=DEMO_TODAY)
    a_db = as_real_county(open_database(a_dir))
    with a_db.write() as session:
        completed = Enrollment.status == "completed"
        candidates = session.scalars(
            select(Enrollment.teacher_id)
            .where(completed)
            .group_by(Enrollment.teacher_id)
            .having(func.count(func.distinct(Enrollment.project_id)) >= 2)
            .order_by(Enrollment.teacher_id)
        ).all()
        projects = list(dict.fromkeys(session.scalars(select(Enrollment.project_id).where(completed))))
        # A teacher with a completed training that has no certificate yet (the demo printed a few).
        holder_id, late = next(
            (teacher_id, project_id)
            for teacher_id in candidates
            for project_id in session.scalars(
                select(Enrollment.project_id).where(completed, Enrollment.teacher_id == teacher_id)
            )
            if session.scalar(
                select(Certificate.id).where(
                    Certificate.teacher_id == teacher_id, Certificate.project_id == project_id
                )
            )
            is None
        )
        for project_id in projects:
            if project_id != late:  # signed certificates, but for the late project
                certificates.issue_for_project(
                    session, project_id, county_code=A, issued_on=dt.date(2026, 12, 1)
                )
        holder = session.get_one(Teacher, holder_id)
        session.expunge(holder)
    clients = {A: SyncClient(a_db, server.url, register(a_db, server.url, server.code(A)))}
    schools = {A: holder.school_id}
    for county in (B, C):
        db = create_database(
            tmp_path_factory.mktemp(county) / "county", county_code=county, county_name=county
        )
        clients[county] = SyncClient(db, server.url, register(db, server.url, server.code(county)))
        with db.write() as session:
            school = School(name=f"{county}第一中学", county_code=county)
            session.add(school)
            session.flush()
            schools[county] = school.id
    for client in clients.values():
        assert client.push().rejected == []
    yield Province(clients, schools, holder, late, {A: holder.id})
    for client in clients.values():
        client.db.dispose()


# --- helpers ------------------------------------------------------------------------------------------


def _record(province: Province, county: str) -> str:
    """The county's PC records the teacher who has come to work there, as its import would."""
    holder = province.holder
    with province.clients[county].db.write() as session:
        teacher = Teacher(
            id_number=holder.id_number,
            name=holder.name,
            gender=holder.gender,
            birth_date=holder.birth_date,
            school_id=province.schools[county],
            phone="13712345678",
        )
        session.add(teacher)
        session.flush()
        return teacher.id


def _approve(server: Server, province: Province, county: str, row_id: str) -> None:
    """The request is refused as one, shows on the asking PC, and the province approves it."""
    summary, _ = province.clients[county].sync()
    assert [(r.row_id, r.reason) for r in summary.rejected] == [(row_id, rules.TRANSFER_REQUESTED)]
    [(transfer_id,)] = server.query("SELECT id FROM transfer_requests WHERE status = 'pending'")
    assert server_cli(["transfers", "--db", server.db, "--approve", str(transfer_id)]) == 0
    for client in province.clients.values():
        client.sync()


def _teacher(db: Database, row_id: str) -> Teacher:
    with db.read() as session:
        teacher = session.get_one(Teacher, row_id)
        session.expunge(teacher)
    return teacher


def _history(db: Database, teacher_id: str) -> dict[str, set[Any]]:
    """The teacher's records in a county's database, by kind."""
    with db.read() as session:
        return {
            "enrollments": set(
                session.scalars(select(Enrollment.id).where(Enrollment.teacher_id == teacher_id))
            ),
            "certificates": {
                (c.serial, c.verification_code)
                for c in session.scalars(select(Certificate).where(Certificate.teacher_id == teacher_id))
            },
            "credits": set(
                session.scalars(select(CreditEntry.description).where(CreditEntry.teacher_id == teacher_id))
            ),
        }


def _add_credit(client: SyncClient, teacher_id: str, description: str) -> None:
    with client.db.write() as session:
        session.add(
            CreditEntry(
                teacher_id=teacher_id,
                year=2026,
                level="county",
                hours=4,
                credits=0.5,
                description=description,
                status="submitted",
            )
        )
    summary, _ = client.sync()
    assert summary.rejected == []


def _verify_online(server: Server, signed: set[tuple[str, str]]) -> None:
    for serial, code in signed:
        answer = requests.get(
            f"{server.url}/v1/certificates/{serial}", params={"code": check_code(code)}, timeout=5
        ).json()
        assert answer["status"] == "valid", serial


def _verify_offline(db: Database, signed: set[tuple[str, str]]) -> None:
    with db.read() as session:
        assert all(certificates.verify(session, code).valid for _serial, code in signed)


def _converge(province: Province) -> None:
    for client in province.clients.values():
        client.check_divergence()  # rows the test wrote straight into a PC's outbox come home once
        client.check_divergence()
        assert client.last_pull is not None and client.last_pull.check == "与省级平台一致", client.db.path


# --- the moves ------------------------------------------------------------------------------------------


def test_a_to_b_and_what_a_records_later_follows_the_teacher(server: Server, province: Province) -> None:
    a, b = province.clients[A], province.clients[B]
    before = _history(a.db, province.holder.id)
    assert before["enrollments"] and before["certificates"]
    province.ids[B] = _record(province, B)
    _approve(server, province, B, province.ids[B])
    assert _teacher(a.db, province.holder.id).employment_status == "transferred"
    assert _history(b.db, province.ids[B]) == before

    # A runs late: the certificates of a training it ran, a credit entry, a note on an enrollment.
    with a.db.write() as session:
        certificates.issue_for_project(
            session, province.late_project, county_code=A, issued_on=dt.date(2026, 12, 20)
        )
        late = session.scalars(
            select(Certificate).where(
                Certificate.teacher_id == province.holder.id, Certificate.project_id == province.late_project
            )
        ).one()
        late_certificate = (late.serial, late.verification_code)
        session.add(
            EnrollmentEvent(
                enrollment_id=late.enrollment_id,
                from_status="attending",
                to_status="completed",
                at=dt.datetime(2026, 12, 20, 9, 0),
                reason="补记结业",
            )
        )
    _add_credit(a, province.holder.id, "A 补录学分")
    # A's own teacher row stays read-only for A.
    with a.db.write() as session:
        session.get_one(Teacher, province.holder.id).phone = "13000000000"
    refused, _ = a.sync()
    assert [r.reason for r in refused.rejected] == [rules.TRANSFERRED_OUT]

    b.sync()
    now = _history(b.db, province.ids[B])
    assert late_certificate in now["certificates"] and "A 补录学分" in now["credits"]
    with b.db.read() as session:
        event = session.scalars(select(EnrollmentEvent).where(EnrollmentEvent.reason == "补记结业")).one()
        assert event.enrollment_id == late.enrollment_id
    _verify_offline(b.db, now["certificates"])
    _verify_online(server, {late_certificate, *list(before["certificates"])[:3]})
    # None of the other teachers' late certificates reached B.
    with b.db.read() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Certificate).where(Certificate.teacher_id != province.ids[B])
            )
            == 0
        )
    _add_credit(b, province.ids[B], "B 的县培学分")
    _converge(province)


def test_a_second_transfer_brings_the_whole_history(server: Server, province: Province) -> None:
    a, b, c = province.clients[A], province.clients[B], province.clients[C]
    in_b = _history(b.db, province.ids[B])
    province.ids[C] = _record(province, C)
    _approve(server, province, C, province.ids[C])
    assert _teacher(b.db, province.ids[B]).employment_status == "transferred"
    in_c = _history(c.db, province.ids[C])
    # A's trainings (with the late ones) and B's own records, all naming C's teacher.
    assert in_c == in_b and "B 的县培学分" in in_c["credits"] and "A 补录学分" in in_c["credits"]
    _verify_offline(c.db, in_c["certificates"])
    # What A records for them now reaches C (and B, which holds that history too).
    _add_credit(a, province.holder.id, "A 再补学分")
    c.sync()
    assert "A 再补学分" in _history(c.db, province.ids[C])["credits"]
    # B's record is read-only for B now.
    with b.db.write() as session:
        session.get_one(Teacher, province.ids[B]).phone = "13100000000"
    refused, _ = b.sync()
    assert [r.reason for r in refused.rejected] == [rules.TRANSFERRED_OUT]
    _add_credit(c, province.ids[C], "C 的校本学分")
    _converge(province)


def test_the_teacher_comes_back_to_the_county_that_keeps_their_record(
    server: Server, province: Province
) -> None:
    a, c = province.clients[A], province.clients[C]
    in_c = _history(c.db, province.ids[C])
    # A asks for them back: 任职状态 from 调出 to 在职 on its own (read-only) record.
    with a.db.write() as session:
        session.get_one(Teacher, province.holder.id).employment_status = "active"
    _approve(server, province, A, province.holder.id)
    assert _teacher(c.db, province.ids[C]).employment_status == "transferred"
    back = _teacher(a.db, province.holder.id)
    assert (back.employment_status, back.school_id) == ("active", province.schools[A])
    in_a = _history(a.db, province.holder.id)
    assert in_a["enrollments"] == in_c["enrollments"] and in_a["certificates"] == in_c["certificates"]
    assert in_a["credits"] == in_c["credits"]
    _verify_online(server, set(list(in_a["certificates"])[:5]))
    _verify_offline(a.db, in_a["certificates"])
    # A's record is A's again: it edits it.
    with a.db.write() as session:
        session.get_one(Teacher, province.holder.id).phone = "13200000000"
    summary, _ = a.sync()
    assert summary.rejected == []
    _converge(province)
