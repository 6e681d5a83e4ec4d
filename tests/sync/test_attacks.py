"""Issue 13 replayed: a county holding one valid device token attacks the province's server, on the
real server process, on SQLite and on PostgreSQL. Each attack is refused, nothing is written, and the
other county's sync goes on as before; then the legitimate way (a teacher transfer) works end to end.

County A (COUNTY_CODE) is the demo county, pushed; county B (OTHER_COUNTY) is the attacker, with one
school of its own. Ops are sent with B's real client and token, as a modified client would send them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select, text

from desktop.db.engine import create_database, open_database
from desktop.db.models import Certificate, Enrollment, School, Setting, Teacher
from desktop.services import certificates
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import (
    SET_ASIDE_KEY,
    TRANSFERS_KEY,
    InsecureAddress,
    NotConnected,
    SyncClient,
    register,
)
from guopei_common.certificate_signing import check_code
from guopei_common.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    OpResult,
    PushBatch,
    PushOp,
    RegisterRequest,
    parse_registration,
    pinned_url,
    registration_text,
)
from guopei_common.schema import completed
from server import rules, transfers
from server.admin import add_county, issue_code
from server.cli import main as server_cli
from server.db import create_server_engine, database_url
from server.service import Caller, SyncService
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import (
    BACKENDS,
    OTHER_COUNTY,
    REPO,
    Server,
    as_real_county,
    free_port,
    running_server,
)
from tests.sync.proofs import device_dump, server_dump
from tests.sync.tls import self_signed_certificate

A, B = COUNTY_CODE, OTHER_COUNTY
UNKNOWN_ID_NUMBER = "52272819900101123X"  # nobody's, in any county
LEGACY = "legacy-device"  # the origin of rows written straight into the server's database
_ticks = itertools.count(1)


@dataclass
class Counties:
    a: SyncClient  # the victim: the demo county, pushed
    b: SyncClient  # the attacker
    b_school: str  # B's own school, on the server
    victim: Teacher  # one of A's teachers (detached), the target of the attacks
    holder: Teacher  # another of A's teachers, with a certificate: the one who moves to B in the end


@pytest.fixture(scope="module")
def counties(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Counties]:
    a_dir = tmp_path_factory.mktemp("a") / "county"
    build_demo_county(a_dir, teachers=50, today=DEMO_TODAY)
    a_db = as_real_county(open_database(a_dir))
    with a_db.write() as session:
        # Signed certificates (the demo's own are unsigned: no QR, so no check code either).
        projects = session.scalars(
            select(Enrollment.project_id).where(Enrollment.status == "completed")
        ).all()
        signed = [
            issued
            for project_id in dict.fromkeys(projects)
            for issued in certificates.issue_for_project(
                session, project_id, county_code=A, issued_on=dt.date(2026, 12, 1)
            )
        ]
    assert len(signed) >= 2
    a = SyncClient(a_db, server.url, register(a_db, server.url, server.code(A)))
    assert a.push().rejected == []
    b_db = create_database(tmp_path_factory.mktemp("b") / "county", county_code=B, county_name="罗甸县")
    b = SyncClient(b_db, server.url, register(b_db, server.url, server.code(B)))
    with b_db.write() as session:
        school = School(name="罗甸县第一中学", county_code=B)
        session.add(school)
        session.flush()
        b_school = school.id
    assert b.push().rejected == []
    with a_db.read() as session:
        holder_id = session.scalar(
            select(Certificate.teacher_id)
            .where(Certificate.verification_code != "")
            .order_by(Certificate.serial)
        )
        victim = session.scalars(
            select(Teacher).where(Teacher.id != holder_id, Teacher.phone != "").order_by(Teacher.id_number)
        ).first()
        holder = session.get_one(Teacher, holder_id)
        session.expunge_all()
    yield Counties(a, b, b_school, victim, holder)
    a_db.dispose()
    b_db.dispose()


# --- what B sends -----------------------------------------------------------------------------------


def _stamp(client: SyncClient) -> str:
    return f"{time.time_ns() // 1_000_000:015d}-{next(_ticks) % 100000:05d}-{client.db.device.device_id}"


def _op(
    client: SyncClient, entity: str, payload: dict[str, Any], changed: dict[str, Any] | None = None
) -> PushOp:
    values = {"id": str(uuid.uuid4()), "deleted": False, **payload}
    values.update(hlc=_stamp(client), origin=client.db.device.device_id)
    return PushOp.build(str(uuid.uuid4()), entity, values["id"], values["hlc"], values, changed)


def _send(client: SyncClient, *ops: PushOp) -> list[OpResult]:
    batch = PushBatch(batch_id=str(uuid.uuid4()), device_id=client.db.device.device_id, ops=list(ops))
    return client.send_batch(batch).results


def _teacher(school_id: str, id_number: str, **more: Any) -> dict[str, Any]:
    return {
        "id_number": id_number,
        "name": "冒名者",
        "gender": "1",
        "birth_date": "1990-01-01",
        "school_id": school_id,
        "phone": "13800000000",
        **more,
    }


def _state(server: Server) -> tuple[Any, ...]:
    """What a refused op must leave as it was (applied_ops records every op, refused or not)."""
    return (
        server.query("SELECT count(*) FROM rows")[0][0],
        server.query("SELECT value FROM change_counter")[0][0],
        server.query("SELECT count(*) FROM conflict_log")[0][0],
        server_dump(server.query, A),
    )


def _a_goes_on(counties: Counties, server: Server) -> None:
    """County A's sync is unaffected: it pushes and pulls without error, nothing of B's reaches it, and
    its PC still holds exactly what the province holds for it."""
    pushed, pulled = counties.a.sync()
    assert pulled == 0 and pushed.rejected == []
    # Only the rows test_a_row_the_pc_cannot_apply_is_set_aside… wrote on purpose are set aside.
    assert all(entry["origin"] == LEGACY for entry in counties.a.set_aside())
    mine = device_dump(counties.a.db)
    theirs = {key: value for key, value in server_dump(server.query, A).items() if value["origin"] != LEGACY}
    assert {key: mine[key] for key in theirs} == theirs
    assert all(value.get("county_code", A) == A for (entity, _), value in mine.items() if entity == "school")


def _pull_everything(server: Server, client: SyncClient) -> list[dict[str, Any]]:
    response = requests.get(
        f"{server.url}/v1/pull",
        params={"cursor": 0, "limit": 2000, "own": 1},
        headers={PROTOCOL_HEADER: PROTOCOL_VERSION, "Authorization": f"Bearer {client.token}"},
        timeout=30,
    )
    assert response.status_code == 200
    return response.json()["changes"]


# --- 1. reading and rewriting another county's teachers ------------------------------------------


def test_an_id_number_of_another_county_reveals_nothing_and_becomes_a_transfer_request(
    server: Server, counties: Counties, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = counties.victim
    before = _state(server)
    # The issue's probe: a new teacher row whose only field is the ID number. Refused by its schema
    # before anything is looked up: the same answer for a number another county holds and for nobody's.
    bare = [
        _op(counties.b, "teacher", {"id_number": number}) for number in (victim.id_number, UNKNOWN_ID_NUMBER)
    ]
    known, unknown = _send(counties.b, *bare)
    assert known.outcome == unknown.outcome == "rejected"
    assert known.reason == unknown.reason and "缺少字段" in known.reason
    assert known.canonical_id is None and known.server_row is None and unknown.canonical_id is None

    # A whole row: kept as a transfer request, answered without a word of A's data.
    [request] = _send(counties.b, _op(counties.b, "teacher", _teacher(counties.b_school, victim.id_number)))
    assert (request.outcome, request.reason) == ("rejected", rules.TRANSFER_REQUESTED)
    assert request.canonical_id is None and request.server_row is None and request.hlc is None
    assert victim.name not in request.model_dump_json() and victim.phone not in request.model_dump_json()
    assert _state(server) == before  # no row of either county written
    # B's feed holds nothing of A's, whatever cursor it asks from.
    feed = json.dumps(_pull_everything(server, counties.b), ensure_ascii=False)
    assert victim.id_number not in feed and victim.name not in feed and victim.id not in feed

    # The province sees the request (ID number masked), and rejects this one.
    assert server_cli(["transfers", "--db", server.db]) == 0
    listing = capsys.readouterr().out
    line = next(line for line in listing.splitlines() if f"{A} → {B}" in line)
    assert victim.id_number not in listing and victim.id_number[:4] in line and "待审核" in line
    transfer_id = line.split()[0].lstrip("#")
    assert server_cli(["transfers", "--db", server.db, "--reject", transfer_id]) == 2  # a reason is due
    assert (
        server_cli(["transfers", "--db", server.db, "--reject", transfer_id, "--reason", "身份未核实"]) == 0
    )
    assert counties.b.fetch_transfers() == 0
    with counties.b.db.read() as session:
        notes = session.get_one(Setting, TRANSFERS_KEY).value
    assert [(n["direction"], n["status"], n["reason"], n["other_county"]) for n in notes] == [
        ("in", "rejected", "身份未核实", "")
    ]
    _a_goes_on(counties, server)


def _same_answer(known: OpResult, unknown: OpResult) -> None:
    assert known.model_dump(exclude={"op_id"}) == unknown.model_dump(exclude={"op_id"})
    assert known.canonical_id is None and known.server_row is None


def test_another_countys_row_ids_are_answered_as_unknown_ids(
    server: Server, counties: Counties, tmp_path: Path
) -> None:
    """An id names a row only within its county: every op of B's on an id of A's rows gets exactly the
    answer the same op gets on an id nobody has, and nothing of A's is read or written."""
    victim, b = counties.victim, counties.b
    a_before = server_dump(server.query, A)
    conflicts_before = server.query("SELECT count(*) FROM conflict_log")[0][0]
    with counties.a.db.read() as session:
        a_school = session.get_one(School, victim.school_id)
        other, named = session.scalars(
            select(Teacher.id).where(Teacher.id.not_in([victim.id, counties.holder.id])).order_by(Teacher.id)
        ).all()[:2]
        session.expunge_all()

    def pair(
        entity: str, payload: dict[str, Any], known_id: str, twin: dict[str, Any] | None = None, **more: Any
    ) -> tuple[OpResult, OpResult]:
        """The op on A's id and on an id nobody has (`twin`: its payload, for another natural key)."""
        known, unknown = _send(
            b,
            _op(b, entity, {**payload, "id": known_id}, **more),
            _op(b, entity, {**(twin or payload), "id": str(uuid.uuid4())}, **more),
        )
        _same_answer(known, unknown)
        return known, unknown

    # The issue's second op: A's teacher id with `changed` name and phone (and A's school): refused for
    # the school, in the same words as for a teacher id nobody has.
    forged = _teacher(victim.school_id, victim.id_number, name="假名字", phone="13999999999")
    changed = {"changed": {"name": victim.name, "phone": victim.phone}}
    known, _ = pair("teacher", forged, victim.id, **changed)
    assert (known.outcome, known.reason) == ("rejected", "引用的学校不存在或不属于本县（school_id）")
    # With B's own school: a transfer request either way (the ID number is A's).
    known, _ = pair("teacher", {**forged, "school_id": counties.b_school}, victim.id, **changed)
    assert (known.outcome, known.reason) == ("rejected", rules.TRANSFER_REQUESTED)
    # A teacher of B's own under A's teacher id, A's school's id, a tombstone on A's teacher id: B's
    # own rows, applied like any new ones, no id sent back.
    mine = _teacher(counties.b_school, "522728199203040012", name="罗新人")
    twin = {**mine, "id_number": "522728199203040039"}
    assert pair("teacher", mine, victim.id, twin)[0].outcome == "applied"
    school = {"name": "罗甸县二中", "county_code": B}
    assert pair("school", school, a_school.id)[0].outcome == "applied"
    tombstone = {**_teacher(counties.b_school, "522728199203040020"), "deleted": True}
    twin = {**tombstone, "id_number": "522728199203040047"}
    assert pair("teacher", tombstone, other, twin)[0].outcome == "applied"
    # Naming A's teacher from B's rows: the same words as for a teacher nobody has.
    credit = {"year": 2026, "level": "county", "hours": 3, "credits": 1}
    known, unknown = _send(
        b,
        *(_op(b, "credit_entry", {**credit, "teacher_id": t}) for t in (named, str(uuid.uuid4()))),
    )
    assert known.outcome == "rejected" and (known.reason, known.model_dump(exclude={"op_id"})) == (
        unknown.reason,
        unknown.model_dump(exclude={"op_id"}),
    )

    # Nothing of A's was touched, nothing logged; A's sync goes on.
    assert server_dump(server.query, A) == a_before
    assert server.query("SELECT count(*) FROM conflict_log")[0][0] == conflicts_before
    _a_goes_on(counties, server)
    with counties.a.db.read() as session:
        kept = session.get_one(Teacher, victim.id)
        assert (kept.name, kept.phone) == (victim.name, victim.phone)
    # A new PC of B gets B's rows under the ids B gave them, and holds exactly what the province holds.
    new_db = create_database(tmp_path / "b-new", county_code=B, county_name="罗甸县")
    newcomer = SyncClient(new_db, server.url, register(new_db, server.url, server.code(B)))
    newcomer.pull()
    with new_db.read() as session:
        assert session.get_one(Teacher, victim.id).name == "罗新人"
        assert session.get_one(School, a_school.id).name == "罗甸县二中"
    assert newcomer.check_divergence() == 0 and newcomer.last_pull is not None
    assert newcomer.last_pull.check == "与省级平台一致"
    new_db.dispose()
    # Its transfer requests name its own ids too; the province rejects them (the next tests want none).
    assert b.fetch_transfers() >= 0
    with b.db.read() as session:
        notes = session.get_one(Setting, TRANSFERS_KEY).value
    assert victim.id in {n["row_id"] for n in notes if n["status"] == "pending"}
    for (transfer_id,) in server.query("SELECT id FROM transfer_requests WHERE status = 'pending'"):
        args = ["transfers", "--db", server.db, "--reject", str(transfer_id), "--reason", "测试"]
        assert server_cli(args) == 0


# --- 2. nothing B pushes may stop A's (or B's own) sync ---------------------------------------------


def test_references_outside_the_county_are_refused(server: Server, counties: Counties) -> None:
    before = _state(server)
    with counties.a.db.read() as session:
        # Not the victim's school: B used that id for a school of its own (a row id names a row only
        # within its county, so for B that id is its own school now).
        a_school = session.scalar(select(School.id).where(School.id != counties.victim.school_id))
        a_enrollment = session.scalars(select(Enrollment)).first()
        session.expunge_all()
    ops = [
        # The issue's broken school: a teacher of B's whose school is unknown, or A's.
        _op(counties.b, "teacher", _teacher(str(uuid.uuid4()), "522728199001011234")),
        _op(counties.b, "teacher", _teacher(a_school, "522728199001011234")),
        # An enrollment of B's in A's project; a completion of A's enrollment.
        _op(
            counties.b,
            "enrollment",
            {
                "teacher_id": str(uuid.uuid4()),
                "project_id": a_enrollment.project_id,
                "sending_school_id": counties.b_school,
            },
        ),
        _op(
            counties.b,
            "completion",
            {"enrollment_id": a_enrollment.id, "outcome": "completed", "decided_at": "2026-12-01T10:00:00"},
        ),
    ]
    results = _send(counties.b, *ops)
    assert [r.outcome for r in results] == ["rejected"] * 4
    assert results[0].reason == results[1].reason == "引用的学校不存在或不属于本县（school_id）"
    assert results[3].reason == "引用的报名不存在或不属于本县（enrollment_id）"
    assert _state(server) == before
    _a_goes_on(counties, server)


@pytest.mark.parametrize(
    ("case", "change", "words"),
    [
        ("a name left empty", {"name": None}, "不能为空"),
        ("gender outside GB/T 2261.1", {"gender": "x"}, "gender"),
        ("role outside its vocabulary", {"role": "king"}, "role"),
        ("birth date that is no date", {"birth_date": "yesterday"}, "birth_date"),
        ("birth date with a time zone", {"birth_date": "1990-01-01T00:00:00+08:00"}, "birth_date"),
        ("name longer than its column", {"name": "张" * 51}, "name"),
        ("ID number of another shape", {"id_number": "12345"}, "id_number"),
        ("a year that is a fraction", {"work_start_year": 2001.5}, "work_start_year"),
        ("a number where text goes", {"phone": 13800000000}, "phone"),
        ("a column nobody has", {"county_code": A}, "未知字段"),
        ("text past the limit", {"note": "x" * 20_001}, "note"),
    ],
)
def test_payloads_are_checked_against_the_schema(
    server: Server, counties: Counties, case: str, change: dict[str, Any], words: str
) -> None:
    before = _state(server)
    [result] = _send(
        counties.b,
        _op(counties.b, "teacher", {**_teacher(counties.b_school, "522728199001011234"), **change}),
    )
    assert result.outcome == "rejected", case
    assert words in result.reason, result.reason
    assert _state(server) == before


def test_a_project_with_json_nested_too_deep_is_refused(server: Server, counties: Counties) -> None:
    nested: Any = "x"
    for _ in range(20):
        nested = {"k": nested}
    project = {
        "code": "B-2026-01",
        "name": "县培",
        "program": "county",
        "project_type": "thematic",
        "mode": "offline",
        "hours": 10,
        "credits": 1,
        "start_date": "2026-12-01",
        "end_date": "2026-12-02",
        "quota": 10,
        "county_code": B,
        "conditions": nested,
    }
    before = _state(server)
    [result] = _send(counties.b, _op(counties.b, "project", project))
    assert result.outcome == "rejected" and "嵌套" in result.reason
    assert _state(server) == before


def test_a_new_pc_of_either_county_finishes_its_first_pull(
    server: Server, counties: Counties, tmp_path: Path
) -> None:
    for county in (A, B):
        db = create_database(tmp_path / county, county_code=county, county_name="新电脑")
        client = SyncClient(db, server.url, register(db, server.url, server.code(county)))
        client.pull()
        with db.read() as session:
            assert session.get(Setting, "init.pending") is None  # read to its end
            assert session.get(Setting, SET_ASIDE_KEY) is None
        db.dispose()


def _insert_row(server: Server, county: str, entity: str, payload: dict[str, Any]) -> None:
    """A row written straight into the server's database, as one from before the checks would be."""
    engine = create_engine(database_url(server.db))
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE change_counter SET value = value + 1 WHERE id = 1"))
            seq = connection.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO rows (entity, row_id, county_code, hlc, origin, payload, deleted, seq) "
                    "VALUES (:entity, :row_id, :county, :hlc, :origin, :payload, :deleted, :seq)"
                ),
                {
                    "entity": entity,
                    "row_id": payload["id"],
                    "county": county,
                    "hlc": payload["hlc"],
                    "origin": payload["origin"],
                    "payload": json.dumps(payload, ensure_ascii=False),
                    "deleted": False,
                    "seq": seq,
                },
            )
    finally:
        engine.dispose()


def test_a_row_the_pc_cannot_apply_is_set_aside_and_the_sync_goes_on(
    server: Server, counties: Counties, qtbot: Any
) -> None:
    a = counties.a
    origin = LEGACY
    hlc = f"{time.time_ns() // 1_000_000:015d}-00000-{origin}"
    missing_school = str(uuid.uuid4())
    broken = _teacher(
        missing_school, "522727199001010011", id=str(uuid.uuid4()), hlc=hlc, origin=origin, deleted=False
    )
    nameless = {**_teacher(counties.victim.school_id, "522727199001010022"), "name": None}
    nameless.update(id=str(uuid.uuid4()), hlc=hlc, origin=origin, deleted=False)
    _insert_row(server, A, "teacher", broken)
    _insert_row(server, A, "teacher", nameless)
    cursor_before = a.cursor()

    pulled = a.pull()

    assert pulled == 0 and a.cursor() > cursor_before  # the cursor moved past both
    aside = {entry["row_id"]: entry["reason"] for entry in a.set_aside()}
    assert set(aside) == {broken["id"], nameless["id"]}
    assert "name" in aside[nameless["id"]] and "引用的记录" in aside[broken["id"]]
    # The 同步 page lists them.
    from desktop.ui.app import create_application
    from desktop.ui.sync_page import SyncPage
    from tests.conftest import QuietContext

    create_application([])
    page = SyncPage(QuietContext(a.db))
    qtbot.addWidget(page)
    assert page.set_aside.rowCount() == 2
    assert {page.set_aside.item(row, 2).text() for row in range(2)} == set(aside)

    # The missing school arrives: the row set aside applies at the next pull and leaves the list.
    school = {
        "id": missing_school,
        "name": "补录学校",
        "county_code": A,
        "hlc": hlc,
        "origin": origin,
        "deleted": False,
    }
    _insert_row(server, A, "school", school)
    a.pull()
    assert a.last_pull is not None and a.last_pull.recovered == 1
    assert [entry["row_id"] for entry in a.set_aside()] == [nameless["id"]]
    with a.db.read() as session:
        assert session.get_one(Teacher, broken["id"]).school_id == missing_school
    # The divergence check leaves the set-aside row out on both sides: no endless repair.
    assert a.check_divergence() == 0 and a.last_pull.check == "与省级平台一致"


# --- 3. certificates -----------------------------------------------------------------------------


def test_certificates_under_another_countys_serial_or_a_used_serial_are_refused(
    server: Server, counties: Counties
) -> None:
    b = counties.b
    # B's own small training, so that only the serial is wrong in what follows.
    teacher = _op(b, "teacher", _teacher(counties.b_school, "522728198001010015", name="罗老师"))
    project = _op(
        b,
        "project",
        {
            "code": "LD-2026-01",
            "name": "罗甸县培",
            "program": "county",
            "project_type": "thematic",
            "mode": "offline",
            "hours": 12,
            "credits": 1,
            "start_date": "2026-11-01",
            "end_date": "2026-11-02",
            "quota": 30,
            "county_code": B,
        },
    )
    enrollment = _op(
        b,
        "enrollment",
        {
            "teacher_id": teacher.row_id,
            "project_id": project.row_id,
            "sending_school_id": counties.b_school,
            "status": "completed",
        },
    )
    assert [r.outcome for r in _send(b, teacher, project, enrollment)] == ["applied"] * 3

    def certificate(serial: str, **more: Any) -> PushOp:
        facts = {
            "enrollment_id": enrollment.row_id,
            "teacher_id": teacher.row_id,
            "project_id": project.row_id,
        }
        return _op(b, "certificate", {"serial": serial, "issued_on": "2026-12-01", **facts, **more})

    with counties.a.db.read() as session:
        # Not the certificate of the teacher who moves to B at the end: B uses this one's id below.
        a_certificate = session.scalars(
            select(Certificate)
            .where(Certificate.teacher_id != counties.holder.id)
            .order_by(Certificate.serial)
        ).first()
        session.expunge_all()
    before = _state(server)
    forged = _send(
        b,
        # The issue's forgery: A's serial prefix; and one pointing at A's teacher and project.
        certificate("522727-2026-00999"),
        certificate(
            "522728-2026-00998", teacher_id=a_certificate.teacher_id, project_id=a_certificate.project_id
        ),
        # A serial A already uses, under B's token; A's prefix in the form with a device segment.
        certificate(a_certificate.serial, verification_code=a_certificate.verification_code),
        certificate("522727-2026-D01-00999"),
    )
    assert [(r.outcome, r.reason) for r in forged] == [
        ("rejected", rules.SERIAL_OF_ANOTHER_COUNTY),
        ("rejected", "引用的教师不存在或不属于本县（teacher_id）"),
        ("rejected", rules.SERIAL_OF_ANOTHER_COUNTY),
        ("rejected", rules.SERIAL_OF_ANOTHER_COUNTY),
    ]
    assert _state(server) == before
    for serial in ("522727-2026-00999", "522728-2026-00998"):
        answer = requests.get(
            f"{server.url}/v1/certificates/{serial}", params={"code": "AAAA-AAAA"}, timeout=5
        )
        assert answer.json()["status"] == "unknown"

    # B's own serial once; the same serial again on another certificate row is refused (both forms).
    for serial in ("522728-2026-00001", "522728-2026-D01-00001"):
        [first] = _send(b, certificate(serial))
        [second] = _send(b, certificate(serial))
        assert first.outcome == "applied"
        assert (second.outcome, second.reason) == ("rejected", rules.SERIAL_TAKEN)
        assert server.query(f"SELECT count(*) FROM rows WHERE natural_key = '{serial}'") == [(1,)]
    # Under the id of A's certificate: B's own new certificate, answered as under an id nobody has.
    known, unknown = _send(
        b,
        *(
            _op(b, "certificate", {**certificate(serial).payload, "id": row_id})
            for serial, row_id in (
                ("522728-2026-00002", a_certificate.id),
                ("522728-2026-00003", str(uuid.uuid4())),
            )
        ),
    )
    _same_answer(known, unknown)
    assert known.outcome == "applied"
    # An issued certificate's facts do not change (the paper in the holder's hands says otherwise).
    stored = json.loads(
        server.query("SELECT payload FROM rows WHERE natural_key = '522728-2026-00001'")[0][0]
    )
    [moved] = _send(b, _op(b, "certificate", {**stored, "issued_on": "2020-01-01"}))
    assert (moved.outcome, moved.reason) == ("rejected", rules.CERTIFICATE_ISSUED)
    _a_goes_on(counties, server)


# --- 4. what only the province writes --------------------------------------------------------------


def test_a_county_cannot_decide_its_own_credits_publish_projects_or_undo_a_revocation(
    server: Server, counties: Counties
) -> None:
    b = counties.b
    teacher = _op(b, "teacher", _teacher(counties.b_school, "522728198501010026", name="罗老师二"))
    assert _send(b, teacher)[0].outcome == "applied"
    credit = {"teacher_id": teacher.row_id, "year": 2026, "level": "county", "hours": 30, "credits": 3}
    before = _state(server)
    forged = _send(
        b,
        # The issue's self-approval: a new entry, approved, 999 credits; and a "rejection" of its own.
        _op(b, "credit_entry", {**credit, "credits": 999, "status": "approved"}),
        _op(b, "credit_entry", {**credit, "status": "rejected", "status_reason": "自己退回"}),
        # A province project of its own making.
        _op(
            b,
            "project",
            {
                "code": "GP-FAKE",
                "name": "冒充的国培项目",
                "program": "guopei_midwest",
                "project_type": "backbone",
                "mode": "online",
                "hours": 100,
                "credits": 10,
                "start_date": "2026-12-01",
                "end_date": "2026-12-31",
                "quota": 10,
                "county_code": B,
                "owner": "province",
            },
        ),
    )
    assert [(r.outcome, r.reason) for r in forged] == [
        ("rejected", rules.CREDIT_DECISION),
        ("rejected", rules.CREDIT_DECISION),
        ("rejected", rules.PROVINCE_PROJECT),
    ]
    assert _state(server)[:3] == before[:3]
    # Submitted honestly, then "approved" by the county itself: refused; the province's decision stands.
    submitted = _op(b, "credit_entry", {**credit, "status": "submitted"})
    assert _send(b, submitted)[0].outcome == "applied"
    [self_approved] = _send(b, _op(b, "credit_entry", {**submitted.payload, "status": "approved"}))
    assert (self_approved.outcome, self_approved.reason) == ("rejected", rules.CREDIT_DECISION)
    assert server_cli(["credits", "--db", server.db, B, "--approve", submitted.row_id]) == 0
    [undone] = _send(b, _op(b, "credit_entry", {**submitted.payload, "status": "draft", "credits": 9}))
    assert undone.outcome == "conflict" and undone.server_row["status"] == "approved"

    # A certificate the province revoked stays revoked whatever the county sends.
    with counties.a.db.read() as session:
        issued = session.scalars(
            select(Certificate).where(
                Certificate.revoked.is_(False),
                Certificate.verification_code != "",
                Certificate.teacher_id != counties.holder.id,
            )
        ).first()
        session.expunge_all()
    assert server_cli(["revoke-certificate", "--db", server.db, issued.serial, "--reason", "学时造假"]) == 0
    stored = json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{issued.id}'")[0][0])
    for attempt in ({"revoked": False}, {"revoked_reason": "已核实"}, {"deleted": True}):
        [result] = _send(counties.a, _op(counties.a, "certificate", {**stored, **attempt}))
        assert (result.outcome, result.reason) == ("conflict", rules.REVOKED), attempt
    verdict = requests.get(
        f"{server.url}/v1/certificates/{issued.serial}",
        params={"code": check_code(issued.verification_code)},
        timeout=5,
    ).json()
    assert verdict["status"] == "revoked" and verdict["revoked_reason"] == "学时造假"
    counties.a.pull()  # A takes the province's revocation home


def test_a_certificate_printed_before_signing_is_checked_by_name_and_date(
    server: Server, counties: Counties
) -> None:
    _delete_attempts(server)
    # Two certificates A printed before certificates were signed (no QR signature, no check code), as
    # an old release pushed them.
    with counties.a.db.read() as session:
        enrollments = session.scalars(
            select(Enrollment).where(Enrollment.status == "attending").order_by(Enrollment.id)
        ).all()[:2]
        signed = session.scalars(select(Certificate).where(Certificate.verification_code != "")).first()
        holder = session.get_one(Teacher, enrollments[0].teacher_id)
        signed_holder = session.get_one(Teacher, signed.teacher_id)
        session.expunge_all()
    day = dt.date(2025, 6, 30)
    unsigned, other = (
        Certificate(
            id=str(uuid.uuid4()),
            serial=f"{A}-2025-{number:05d}",
            enrollment_id=enrollment.id,
            teacher_id=enrollment.teacher_id,
            project_id=enrollment.project_id,
            issued_on=day,
        )
        for number, enrollment in zip((101, 102), enrollments, strict=True)
    )
    hlc = f"{time.time_ns() // 1_000_000:015d}-00000-{LEGACY}"
    for certificate in (unsigned, other):
        payload = {
            "id": certificate.id,
            "serial": certificate.serial,
            "enrollment_id": certificate.enrollment_id,
            "teacher_id": certificate.teacher_id,
            "project_id": certificate.project_id,
            "issued_on": day.isoformat(),
            "hlc": hlc,
            "origin": LEGACY,
        }
        _insert_row(server, A, "certificate", completed("certificate", payload))

    def check(serial: str, name: str, issued_on: str) -> dict[str, str]:
        answer = requests.get(
            f"{server.url}/v1/certificates/{serial}", params={"name": name, "issued_on": issued_on}, timeout=5
        )
        assert answer.status_code == 200
        return answer.json()

    found = check(unsigned.serial, holder.name, day.isoformat())
    assert (found["status"], found["basis"], found["issued_on"]) == ("valid", "facts", day.isoformat())
    assert found["holder"][0] == holder.name[0] and found["holder"] != holder.name and found["project"]
    typed = f"{day.year}年{day.month}月{day.day}日"
    assert check(unsigned.serial, f" {holder.name} ", typed)["status"] == "valid"
    # Anything short of the certificate's own facts is answered as a serial nobody issued.
    nobody = check("522727-2026-09999", holder.name, day.isoformat())
    assert nobody["status"] == "unknown" and set(nobody.values()) == {
        "522727-2026-09999",
        "unknown",
        "",
        "check_code",
    }
    for serial, name, issued_on in (
        (unsigned.serial, holder.name + "某", day.isoformat()),  # another name
        (unsigned.serial, holder.name, (day + dt.timedelta(days=1)).isoformat()),  # another date
        (other.serial, holder.name, day.isoformat()),  # another certificate's serial
        (signed.serial, signed_holder.name, signed.issued_on.isoformat()),  # signed: by its code only
    ):
        assert {**check(serial, name, issued_on), "serial": "?"} == {**nobody, "serial": "?"}
    # The page says what the answer rests on.
    page = requests.get(
        f"{server.url}/verify",
        params={"serial": unsigned.serial, "name": holder.name, "issued_on": day.isoformat()},
        timeout=5,
    )
    assert "有效" in page.text and "签发于启用核验码之前" in page.text and holder.name not in page.text
    # Ten such checks per address per quarter hour (this was the eighth): then 429, checks by code go on.
    check(unsigned.serial, holder.name, day.isoformat())
    check(unsigned.serial, holder.name, day.isoformat())
    refused = requests.get(
        f"{server.url}/v1/certificates/{unsigned.serial}",
        params={"name": holder.name, "issued_on": day.isoformat()},
        timeout=5,
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    by_code = requests.get(
        f"{server.url}/v1/certificates/{signed.serial}",
        params={"code": check_code(signed.verification_code)},
        timeout=5,
    )
    assert by_code.status_code == 200 and by_code.json()["status"] in ("valid", "revoked")
    _delete_attempts(server)


# --- 5. transport and the server's own doors -------------------------------------------------------


def test_plain_http_to_anywhere_but_this_machine_is_refused_before_anything_is_sent(
    counties: Counties, tmp_path: Path
) -> None:
    for url in ("http://192.0.2.10:8700", "http://guopei.example.gov.cn", "ftp://guopei.example.gov.cn"):
        with pytest.raises(InsecureAddress):
            SyncClient(counties.b.db, url, counties.b.token)
        with pytest.raises(InsecureAddress):
            register(counties.b.db, url, "ABCD-EFGH-JKLM-NPQR")
    # A forged registration QR naming such an address is refused the same way.
    forged = parse_registration(registration_text("http://203.0.113.7/", "ABCD-EFGH-JKLM-NPQR"))
    assert forged is not None
    with pytest.raises(InsecureAddress):
        register(counties.b.db, forged[0], forged[1])
    SyncClient(counties.b.db, "https://guopei.example.gov.cn", counties.b.token)  # fine to build
    SyncClient(counties.b.db, "http://localhost:8700", counties.b.token)  # this machine


def _post(
    server: Server, path: str, body: bytes, *, token: str | None = None, gzipped: bool = False, **headers: str
) -> requests.Response:
    sent = {PROTOCOL_HEADER: PROTOCOL_VERSION, "Content-Type": "application/json", **headers}
    if gzipped:
        sent["Content-Encoding"] = "gzip"
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return requests.post(f"{server.url}{path}", data=body, headers=sent, timeout=30)


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def _surrogate_batch(client: SyncClient) -> str:
    """A valid batch but for half a surrogate pair in a school's name (it failed where it was hashed)."""
    op = _op(client, "school", {"name": "HALF", "county_code": B})
    batch = PushBatch(batch_id=str(uuid.uuid4()), device_id=client.db.device.device_id, ops=[op])
    return batch.model_dump_json().replace("HALF", "\\ud800")


def test_malformed_bodies_and_queries_get_4xx_never_500(server: Server, counties: Counties) -> None:
    before = _state(server)
    token = counties.b.token
    answers = {
        "push nested 100,000 deep": _post(
            server, "/v1/push", gzip.compress(_deep(100_000)), token=token, gzipped=True
        ),
        "push nested 50 deep": _post(server, "/v1/push", gzip.compress(_deep(50)), token=token, gzipped=True),
        "register nested deep": _post(server, "/v1/register", _deep(10_000)),
        "digest nested deep": _post(server, "/v1/digest", _deep(10_000), token=token),
        # Half a surrogate pair, which no UTF-8 text can hold (it failed where the payload was hashed).
        "push with a lone surrogate": _post(
            server,
            "/v1/push",
            gzip.compress(_surrogate_batch(counties.b).encode()),
            token=token,
            gzipped=True,
        ),
        "register with a lone surrogate": _post(
            server, "/v1/register", b'{"code":"\\udc00","device_id":"a"}'
        ),
    }
    for query in ("cursor=100000000000000000000000", "horizon=100000000000000000000000", "cursor=1e23"):
        answers[f"pull {query}"] = requests.get(
            f"{server.url}/v1/pull?{query}",
            headers={PROTOCOL_HEADER: PROTOCOL_VERSION, "Authorization": f"Bearer {token}"},
            timeout=30,
        )
    answers["conflicts after 10^23"] = requests.get(
        f"{server.url}/v1/conflicts?after={10**23}",
        headers={PROTOCOL_HEADER: PROTOCOL_VERSION, "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    answers["certificate serial of 200 characters"] = requests.get(
        f"{server.url}/v1/certificates/{'9' * 200}", timeout=5
    )
    for case, response in answers.items():
        assert 400 <= response.status_code < 500, (case, response.status_code, response.text[:200])
        assert response.headers[PROTOCOL_HEADER] == PROTOCOL_VERSION, case
    # A NUL, which PostgreSQL cannot take as a parameter or store in a key: the op is refused by its
    # schema, and a serial holding one names no certificate.
    project = {
        "code": "LD-\x00",
        "name": "县培",
        "program": "county",
        "project_type": "thematic",
        "mode": "offline",
        "hours": 10,
        "credits": 1,
        "start_date": "2026-12-01",
        "end_date": "2026-12-02",
        "quota": 10,
        "county_code": B,
    }
    [refused] = _send(counties.b, _op(counties.b, "project", project))
    assert (refused.outcome, refused.reason) == ("rejected", "字段 code 含有空字符（NUL）")
    for params in ({"code": "AAAA-AAAA"}, {"name": "张三", "issued_on": "2026-12-01"}):
        answer = requests.get(f"{server.url}/v1/certificates/522728-2026-00001%00", params=params, timeout=5)
        assert answer.status_code == 200 and answer.json()["status"] == "unknown"
    _delete_attempts(server)
    assert _state(server) == before


def test_a_wrong_code_and_another_countys_code_get_the_same_answer(
    server: Server, counties: Counties
) -> None:
    def attempt(code: str) -> requests.Response:
        body = {"code": code, "device_id": str(uuid.uuid4()), "county_code": B}
        # A spoofed X-Forwarded-For from a peer that is no trusted proxy changes nothing.
        return _post(server, "/v1/register", json.dumps(body).encode(), **{"X-Forwarded-For": "203.0.113.99"})

    wrong, other = attempt("WRON-GCOD-EWRO-NGCO"), attempt(server.code(A))
    assert (
        (wrong.status_code, wrong.json())
        == (other.status_code, other.json())
        == (
            403,
            {"detail": "注册码无效、已使用或已过期"},
        )
    )
    keys = set(server.query("SELECT scope, key FROM registration_failures WHERE scope <> 'check'"))
    assert keys == {("address", "127.0.0.1"), ("all", "*")}  # never the body's county, never the header
    _delete_attempts(server)


def _delete_attempts(server: Server) -> None:
    engine = create_engine(database_url(server.db))
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM registration_failures"))
    finally:
        engine.dispose()


def test_the_check_page_sends_security_headers(server: Server) -> None:
    page = requests.get(
        f"{server.url}/verify", params={"serial": "522727-2026-00001", "code": "AAAA-AAAA"}, timeout=5
    )
    assert page.status_code == 200 and "查无此证书" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Errors too: no token, no such page, a malformed query.
    for path in ("/v1/pull", "/nothing-here", "/v1/certificates/x?code=" + "A" * 30):
        answer = requests.get(f"{server.url}{path}", timeout=5)
        assert answer.status_code in (401, 404, 422), path
        assert (
            answer.headers["X-Frame-Options"] == "DENY"
            and "frame-ancestors" in answer.headers["Content-Security-Policy"]
        ), path
    _delete_attempts(server)


@pytest.fixture(params=BACKENDS)
def behind_proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server whose trusted reverse proxy is 127.0.0.1 (the tests play the proxy)."""
    with running_server(
        request.param, tmp_path_factory.mktemp("proxied"), trusted_proxy="127.0.0.1"
    ) as started:
        yield started


def test_limits_key_on_the_address_the_trusted_proxy_saw(behind_proxy: Server) -> None:
    server = behind_proxy

    def register_from(address: str, code: str) -> requests.Response:
        body = {"code": code, "device_id": str(uuid.uuid4()), "county_code": A}
        return _post(
            server,
            "/v1/register",
            json.dumps(body).encode(),
            **{"X-Forwarded-For": f"198.51.100.1, {address}"},
        )

    # Someone spams wrong codes naming county A: their address is shut out ...
    for _ in range(10):
        assert register_from("203.0.113.5", "WRON-GCOD-EWRO-NGCO").status_code == 403
    assert register_from("203.0.113.5", server.code(A)).status_code == 429
    # ... and county A's own PC, elsewhere, registers: nothing is keyed on the county in the body.
    assert register_from("203.0.113.6", server.code(A)).status_code == 200
    assert {key for (key,) in server.query("SELECT key FROM registration_failures")} == {"203.0.113.5", "*"}

    # The public check: 60 per address per quarter hour, then 429 with Retry-After; others go on.
    def check(address: str) -> requests.Response:
        return requests.get(
            f"{server.url}/v1/certificates/522727-2026-00001",
            params={"code": "AAAA-AAAA"},
            headers={"X-Forwarded-For": address},
            timeout=5,
        )

    assert all(check("192.0.2.44").status_code == 200 for _ in range(60))
    refused = check("192.0.2.44")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert check("192.0.2.45").status_code == 200


# --- TLS ------------------------------------------------------------------------------------------


@contextmanager
def _tls_server(db: str, cert: Path, key: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if requests.get(f"{url}/v1/health", timeout=1, verify=False).ok:
                        break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "TLS server did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a client's kept-alive TLS connection holds the shutdown
            process.kill()
            process.wait(timeout=10)


def test_tls_is_verified_and_the_qr_can_pin_the_provinces_certificate(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key, fingerprint = self_signed_certificate(tmp_path)
    with _tls_server(server.db, cert, key) as url:
        # The QR the province prints carries the certificate's fingerprint in the address.
        capsys.readouterr()
        qr = tmp_path / "qr.png"
        args = ["issue-code", "--db", server.db, B, "--url", url, "--pin-cert", str(cert), "--qr", str(qr)]
        assert server_cli(args) == 0
        code = capsys.readouterr().out.splitlines()[0]
        pinned = pinned_url(url, fingerprint)
        assert parse_registration(registration_text(pinned, code)) == (pinned, code)

        db = create_database(tmp_path / "tls", county_code=B, county_name="罗甸县")
        # Not trusted by any CA the PC knows, and not pinned: refused, nothing sent.
        with pytest.raises(NotConnected, match="加密连接"):
            register(db, url, code)
        # Pinned to another certificate: refused too.
        with pytest.raises(NotConnected):
            register(db, pinned_url(url, "ab" * 32), code)
        client = SyncClient(db, pinned, register(db, pinned, code))
        client.pull()
        assert client.fetch_province() >= 0
        db.dispose()


def test_the_pc_shows_the_provinces_plain_address_and_that_its_certificate_is_pinned(
    server: Server, tmp_path: Path, qtbot: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.sync.credentials import load_credentials
    from desktop.ui.app import create_application
    from desktop.ui.sync_page import SyncPage
    from desktop.ui.sync_status import RegisterDialog, SyncStatus
    from desktop.ui.tasks import TaskRunner
    from tests.conftest import QuietContext

    cert, key, fingerprint = self_signed_certificate(tmp_path)
    with _tls_server(server.db, cert, key) as url:
        capsys.readouterr()
        args = ["issue-code", "--db", server.db, B, "--url", url, "--pin-cert", str(cert)]
        assert server_cli(args) == 0
        code = capsys.readouterr().out.splitlines()[0]
        scanned = registration_text(pinned_url(url, fingerprint), code)

        create_application([])
        db = create_database(tmp_path / "pinned", county_code=B, county_name="罗甸县")
        status = SyncStatus(QuietContext(db), runner=TaskRunner(synchronous=True))
        qtbot.addWidget(status)
        dialog = RegisterDialog(status)
        qtbot.addWidget(dialog)
        dialog.code.setFocus()
        qtbot.keyClicks(dialog.code, scanned)  # what a USB scanner types
        note = f"已固定证书（SHA-256 {fingerprint[:4]}…{fingerprint[-4:]}）"
        assert (dialog.url.text(), dialog.code.text()) == (url, code)
        assert dialog.pinned.text() == note and not dialog.pinned.isHidden()
        assert dialog.server_url() == pinned_url(url, fingerprint)
        # Another address typed over it: the pin does not follow it.
        dialog.url.setText("https://other.example.gov.cn")
        assert dialog.pinned.isHidden() and dialog.server_url() == "https://other.example.gov.cn"
        dialog.url.setText(url)
        assert status.register(dialog.server_url(), dialog.code.text())
        assert load_credentials(status.data_dir).server_url == pinned_url(url, fingerprint)

        page = SyncPage(QuietContext(db))
        qtbot.addWidget(page)
        shown = page.connection.text()
        assert f"{url}，{note}" in shown and "sha256" not in shown and fingerprint not in shown
        db.dispose()


# --- the legitimate way: a teacher moves from A to B -------------------------------------------------


def test_a_teacher_transfer_is_requested_approved_and_both_counties_converge(
    server: Server, counties: Counties, tmp_path: Path, capsys: pytest.CaptureFixture[str], qtbot: Any
) -> None:
    a, b, holder = counties.a, counties.b, counties.holder
    with a.db.read() as session:
        a_certificates = session.scalars(
            select(Certificate).where(
                Certificate.teacher_id == holder.id, Certificate.verification_code != ""
            )
        ).all()
        a_enrollments = set(session.scalars(select(Enrollment.id).where(Enrollment.teacher_id == holder.id)))
        session.expunge_all()
    assert a_certificates and a_enrollments
    # B records the teacher who has come to work there, as its import would.
    with b.db.write() as session:
        teacher = Teacher(
            id_number=holder.id_number,
            name=holder.name,
            gender=holder.gender,
            birth_date=holder.birth_date,
            school_id=counties.b_school,
            phone="13712345678",
        )
        session.add(teacher)
        session.flush()
        b_id = teacher.id
    summary, _ = b.sync()
    assert [(r.row_id, r.reason) for r in summary.rejected] == [(b_id, rules.TRANSFER_REQUESTED)]
    # A sees the request on its 同步 page: its own teacher, and which county asks.
    a.sync()
    with a.db.read() as session:
        notes = session.get_one(Setting, TRANSFERS_KEY).value
    [note] = [n for n in notes if n["status"] == "pending"]
    assert (note["direction"], note["row_id"], note["name"], note["other_county"]) == (
        "out",
        holder.id,
        holder.name,
        f"{B} 罗甸县",
    )
    from desktop.ui.app import create_application
    from desktop.ui.sync_page import SyncPage
    from tests.conftest import QuietContext

    create_application([])
    page = SyncPage(QuietContext(a.db))
    qtbot.addWidget(page)
    assert page.transfers.rowCount() >= 1 and page.transfers.item(0, 1).text() == holder.name

    capsys.readouterr()
    assert server_cli(["transfers", "--db", server.db, "--approve", str(note["id"])]) == 0
    assert "已批准" in capsys.readouterr().out

    # A: the teacher is 调出 and read-only; its records of the trainings it ran stay, and verify.
    a.sync()
    with a.db.read() as session:
        assert session.get_one(Teacher, holder.id).employment_status == "transferred"
        for issued in a_certificates:
            assert certificates.verify(session, issued.verification_code).valid
    with a.db.write() as session:
        session.get_one(Teacher, holder.id).phone = "13000000000"
    refused, _ = a.sync()
    assert [r.reason for r in refused.rejected] == [rules.TRANSFERRED_OUT]
    for issued in a_certificates:
        if issued.revoked:
            continue
        verdict = requests.get(
            f"{server.url}/v1/certificates/{issued.serial}",
            params={"code": check_code(issued.verification_code)},
            timeout=5,
        ).json()
        assert verdict["status"] == "valid" and verdict["holder"][0] == holder.name[0]

    # B: its own row, with the identity the province holds, and the teacher's past trainings.
    b.sync()
    with b.db.read() as session:
        moved = session.get_one(Teacher, b_id)
        assert (moved.name, moved.employment_status, moved.school_id) == (
            holder.name,
            "active",
            counties.b_school,
        )
        history = set(session.scalars(select(Enrollment.id).where(Enrollment.teacher_id == b_id)))
        copies = session.scalars(select(Certificate).where(Certificate.teacher_id == b_id)).all()
        assert history == a_enrollments
        assert {c.serial for c in copies} >= {c.serial for c in a_certificates}
        signed_copies = [c for c in copies if c.verification_code and not c.revoked]
        assert signed_copies and all(
            certificates.verify(session, c.verification_code).valid for c in signed_copies
        )
    # B edits its teacher; A never sees it. B cannot edit A's records it was given to read.
    with b.db.write() as session:
        session.get_one(Teacher, b_id).phone = "13798765432"
        session.get_one(Certificate, copies[0].id).print_count += 1
    edited, _ = b.sync()
    assert [r.reason for r in edited.rejected] == [rules.READ_ONLY]
    a.sync()
    with a.db.read() as session:
        assert session.get_one(Teacher, holder.id).phone != "13798765432"
    [(kept,)] = server.query(f"SELECT payload FROM rows WHERE row_id = '{holder.id}'")
    assert json.loads(kept)["phone"] == holder.phone  # A's refused edit never reached the province

    # Both converge: each PC holds what the province holds for its county, and a new PC of B gets the
    # same rows as B's first.
    for client in (a, b):
        client.check_divergence()  # B: its rows sent by hand above come home in a repair, once
        client.check_divergence()
        assert client.last_pull is not None and client.last_pull.check == "与省级平台一致", client.last_pull
    new_db = create_database(tmp_path / "b2", county_code=B, county_name="罗甸县")
    newcomer = SyncClient(new_db, server.url, register(new_db, server.url, server.code(B)))
    newcomer.pull()
    theirs, mine = device_dump(b.db), device_dump(new_db)
    refused_here = {(op.entity, op.row_id) for op in b.rejected_ops()}
    assert {k: v for k, v in mine.items() if k not in refused_here} == {
        k: v for k, v in theirs.items() if k not in refused_here
    }
    new_db.dispose()


def test_past_the_limit_of_pending_transfers_every_new_teacher_gets_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probing ID numbers by transfer requests leaves one request per hit for the province to see; past
    the limit a county's new teachers all get one answer, held elsewhere or not (no oracle left)."""
    monkeypatch.setattr(transfers, "MAX_PENDING", 2)
    engine = create_server_engine(tmp_path / "province.sqlite3")
    service = SyncService(engine)
    devices = {}
    for county in (A, B):
        add_county(engine, county, county)
        device = str(uuid.uuid4())
        service.register(
            RegisterRequest(code=issue_code(engine, county), device_id=device, county_code=county)
        )
        devices[county] = Caller(device, county)

    def push(county: str, entity: str, payload: dict[str, Any]) -> OpResult:
        device = devices[county].id
        values = {
            "id": str(uuid.uuid4()),
            **payload,
            "hlc": f"{next(_ticks):015d}-00000-{device}",
            "origin": device,
        }
        op = PushOp.build(str(uuid.uuid4()), entity, values["id"], values["hlc"], values)
        batch = PushBatch(batch_id=str(uuid.uuid4()), device_id=device, ops=[op])
        return service.push(devices[county], batch).results[0]

    for county in (A, B):
        assert push(county, "school", {"name": "一中", "county_code": county}).outcome == "applied"
    held = [f"52272719800101{n:03d}X" for n in range(10, 13)]
    for number in held:
        assert push(A, "teacher", _teacher(_school_of(engine, A), number)).outcome == "applied"
    b_school = _school_of(engine, B)
    answers = [push(B, "teacher", _teacher(b_school, number)).reason for number in held[:2]]
    assert answers == [rules.TRANSFER_REQUESTED] * 2
    held_elsewhere, nobodys = (
        push(B, "teacher", _teacher(b_school, number)) for number in (held[2], UNKNOWN_ID_NUMBER)
    )
    assert held_elsewhere.model_dump(exclude={"op_id"}) == nobodys.model_dump(exclude={"op_id"})
    assert held_elsewhere.reason == transfers.TOO_MANY_PENDING
    engine.dispose()


def _school_of(engine: Any, county: str) -> str:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT row_id FROM rows WHERE entity = 'school' AND county_code = :county"),
            {"county": county},
        ).scalar_one()
