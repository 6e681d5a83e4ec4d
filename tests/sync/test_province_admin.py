"""The province administrator's commands, end to end: `guopei-server …` on the server's database, then
the county app (a real county database and SyncClient against the real server process) after its next
sync.

Each test has a server of its own (on SQLite and on PostgreSQL): they pull, and a feed holding another
test's demo county would not fit this one's."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select

from desktop.cli import main as desk_cli
from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import Certificate, Enrollment, Project, School, Teacher, TrainingClass
from desktop.domain.eligibility import Policy
from desktop.errors import UserInputError
from desktop.services import certificates, projects, selection
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import NotRegistered, SyncClient, register
from guopei_common.certificate_signing import check_code, generate_key, key_id, public_key_of
from guopei_common.vocab import SessionFormat
from server.cli import main as server_cli
from server.db import database_url
from tests.sync.conftest import (
    BACKENDS,
    OTHER_COUNTY,
    Server,
    copy_county,
    requeue,
    running_server,
)


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A server per test (not per module): these tests publish and revoke county-wide.
    with running_server(request.param, tmp_path_factory.mktemp("server")) as started:
        yield started


def demo_county(server: Server, template: Path, directory: Path) -> tuple[Database, SyncClient]:
    """A copy of the demo county with an empty outbox (`quiet_demo`): the demo's 26,000 rows are not
    what these tests are about; only what is done after this point travels."""
    db = copy_county(template, directory)
    return db, SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)))


def neighbour_county(server: Server, directory: Path) -> tuple[Database, SyncClient]:
    db = create_database(directory, county_code=OTHER_COUNTY, county_name="罗甸县")
    return db, SyncClient(db, server.url, register(db, server.url, server.code(OTHER_COUNTY)))


def execute(server: Server, sql: str) -> None:
    engine = create_engine(database_url(server.db))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def admin(server: Server, *args: str) -> int:
    return server_cli([args[0], "--db", server.db, *args[1:]])


def issue_certificates(db: Database) -> list[Certificate]:
    with db.write() as session:
        project_id = session.scalar(select(Enrollment.project_id).where(Enrollment.status == "completed"))
        # demo_county() emptied the outbox; the server refuses references to rows it does not hold, so
        # what the certificates name goes first (parents before children, as a county PC sends them).
        enrollments = session.scalars(
            select(Enrollment).where(Enrollment.project_id == project_id, Enrollment.status == "completed")
        ).all()
        teachers = [session.get_one(Teacher, e.teacher_id) for e in enrollments]
        school_ids = {t.school_id for t in teachers} | {e.sending_school_id for e in enrollments}
        parents = [
            *(session.get_one(School, school_id) for school_id in sorted(school_ids)),
            session.get_one(Project, project_id),
            *{session.get_one(TrainingClass, e.class_id) for e in enrollments if e.class_id},
            *teachers,
            *enrollments,
        ]
        requeue(session, parents)
        ids = certificates.issue_for_project(
            session, project_id, county_code=COUNTY_CODE, issued_on=dt.date(2026, 12, 1)
        )
        found = [session.get_one(Certificate, i) for i in ids]
        session.expunge_all()
    return found


def test_devices_are_listed_and_a_revoked_device_gets_401(server, quiet_demo, tmp_path, capsys):
    db, client = demo_county(server, quiet_demo, tmp_path / "county")
    client.sync()
    device = db.device.device_id

    capsys.readouterr()
    assert admin(server, "devices", COUNTY_CODE) == 0
    listing = capsys.readouterr().out
    line = next(line for line in listing.splitlines() if device in line)
    assert COUNTY_CODE in line and "有效" in line and "从未" not in line  # last seen by the sync
    with db.read() as session:
        own_key = key_id(public_key_of(certificates.signing_key(session)))
    assert own_key in line  # the key it sent at registration
    (seen,) = server.query(f"SELECT last_seen_at FROM devices WHERE id = '{device}'")[0]
    client.pull()  # within the minute: not written again
    assert server.query(f"SELECT last_seen_at FROM devices WHERE id = '{device}'")[0][0] == seen
    assert admin(server, "devices", "999999") == 2
    assert "未知的区县代码" in capsys.readouterr().err

    assert admin(server, "revoke-device", device) == 0
    assert "已吊销" in capsys.readouterr().out
    with pytest.raises(NotRegistered):
        client.pull()
    answer = requests.get(
        f"{server.url}/v1/pull", headers={"Authorization": f"Bearer {client.token}"}, timeout=5
    )
    assert answer.status_code == 401
    assert admin(server, "devices") == 0
    assert "已吊销" in next(line for line in capsys.readouterr().out.splitlines() if device in line)
    assert admin(server, "revoke-device", "no-such-device") == 2
    db.dispose()


def test_a_certificate_of_one_county_verifies_offline_in_another_after_sync(
    server, quiet_demo, tmp_path, capsys
):
    county_a, _client_a = demo_county(server, quiet_demo, tmp_path / "a")
    issued = issue_certificates(county_a)
    qr = issued[0].verification_code
    # As if A had registered before keys travelled with registration: the province has no key of it
    # until its administrator registers the one `guopei-desk public-key` prints.
    execute(server, f"UPDATE devices SET public_key = NULL WHERE id = '{county_a.device.device_id}'")
    county_a.dispose()
    capsys.readouterr()
    assert desk_cli(["--data-dir", str(tmp_path / "a"), "public-key"]) == 0
    printed = capsys.readouterr().out.strip()
    assert admin(server, "register-key", COUNTY_CODE, printed) == 0
    county_a = open_database(tmp_path / "a")
    county_b, client_b = neighbour_county(server, tmp_path / "b")
    with county_b.read() as session:
        assert not certificates.verify(session, qr).valid  # B does not know A's key yet

    # A key registered by hand (a replaced PC of B's county), in each accepted form.
    old_pc = public_key_of(generate_key())
    key_file = tmp_path / "old-pc.key"
    key_file.write_text(old_pc.hex() + "\n", encoding="utf-8")
    assert admin(server, "register-key", OTHER_COUNTY, str(key_file)) == 0
    assert key_id(old_pc) in capsys.readouterr().out
    assert admin(server, "register-key", OTHER_COUNTY, base64.b64encode(old_pc).decode()) == 0  # again
    assert admin(server, "register-key", COUNTY_CODE, old_pc.hex()) == 2  # another county's key
    assert admin(server, "register-key", OTHER_COUNTY, "not-a-key") == 2
    assert "无法识别的公钥" in capsys.readouterr().err

    client_b.sync()
    with county_b.read() as session:
        verdict = certificates.verify(session, qr)
        known = certificates.known_public_keys(session)
    assert verdict.valid and verdict.claims.serial == issued[0].serial
    assert key_id(old_pc) in known
    assert client_b.fetch_province() == 0  # nothing new the second time
    county_a.dispose()
    county_b.dispose()


def test_the_province_revokes_a_certificate_and_the_county_sees_it(server, quiet_demo, tmp_path, capsys):
    db, client = demo_county(server, quiet_demo, tmp_path / "county")
    issued = issue_certificates(db)
    serial, qr = issued[0].serial, issued[0].verification_code
    client.push()
    code = check_code(qr)
    assert (
        requests.get(f"{server.url}/v1/certificates/{serial}?code={code}", timeout=5).json()["status"]
        == "valid"
    )

    assert admin(server, "revoke-certificate", serial, "--reason", "  ") == 2
    assert "须写明原因" in capsys.readouterr().err
    assert admin(server, "revoke-certificate", "522727-2026-99999", "--reason", "冒名") == 2
    assert admin(server, "revoke-certificate", serial, "--reason", "学时造假") == 0
    assert COUNTY_CODE in capsys.readouterr().out
    verdict = requests.get(f"{server.url}/v1/certificates/{serial}?code={code}", timeout=5).json()
    assert verdict["status"] == "revoked" and verdict["revoked_reason"] == "学时造假"
    # Found by its natural key from now on, not by scanning every certificate.
    assert server.query(
        f"SELECT origin FROM rows WHERE entity = 'certificate' AND natural_key = '{serial}'"
    ) == [("province",)]

    client.sync()
    with db.read() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        assert certificate.revoked and certificate.revoked_reason == "学时造假"
        assert not certificates.verify(session, qr).valid
        assert certificates.verify(session, issued[1].verification_code).valid
    with pytest.raises(UserInputError, match="已撤销"), db.write() as session:
        certificates.record_printed(session, [issued[0].id])
    db.dispose()


PROJECT = {
    "code": "GP2027-SJ-01",
    "name": "2027 年国培计划中西部项目（数学骨干）",
    "program": "国培-中西部项目",  # a label is accepted as well as the code
    "project_type": "backbone",
    "mode": "blended",
    "hours": 60,
    "credits": 6,
    "start_date": "2027-03-01",
    "end_date": "2027-06-30",
    "quota": 40,
    "institution": "贵州师范大学",
    "conditions": {"subjects": ["数学"]},
}


def test_a_published_project_and_the_policy_reach_the_county(server, quiet_demo, tmp_path, capsys):
    db, client = demo_county(server, quiet_demo, tmp_path / "county")
    neighbour, neighbour_client = neighbour_county(server, tmp_path / "neighbour")
    spec = tmp_path / "project.json"
    spec.write_text(json.dumps(PROJECT, ensure_ascii=False), encoding="utf-8")
    assert admin(server, "publish-project", str(spec), "--counties", COUNTY_CODE) == 0
    assert "新增 1" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**PROJECT, "mode": "by pigeon", "quotas": 3}), encoding="utf-8")
    assert admin(server, "publish-project", str(bad), "--all") == 2
    assert "不认识的字段" in capsys.readouterr().err
    assert admin(server, "publish-project", str(spec), "--counties", "999999") == 2

    client.sync()
    neighbour_client.sync()
    with db.read() as session:
        project = session.scalar(select(Project).where(Project.code == PROJECT["code"]))
        assert (project.owner, project.origin, project.program) == ("province", "province", "guopei_midwest")
        assert project.quota == 40 and project.start_date == dt.date(2027, 3, 1)
        row = next(r for r in projects.project_rows(session) if r.code == PROJECT["code"])
        assert row.owner == "province"
        project_id = project.id
    with pytest.raises(projects.ProjectReadOnly), db.write() as session:
        projects.set_status(session, project_id, projects.ProjectStatus.OPEN)
    with neighbour.read() as session:
        assert session.scalar(select(Project).where(Project.code == PROJECT["code"])) is None

    # Published again with a larger quota, to every county: the same row is updated, the neighbour's added.
    spec.write_text(json.dumps({**PROJECT, "quota": 55}, ensure_ascii=False), encoding="utf-8")
    assert admin(server, "publish-project", str(spec), "--all") == 0
    assert "新增 1，更新 1" in capsys.readouterr().out
    client.sync()
    neighbour_client.sync()
    with db.read() as session:
        assert session.get_one(Project, project_id).quota == 55
    with neighbour.read() as session:
        assert session.scalar(select(Project.owner).where(Project.code == PROJECT["code"])) == "province"

    # Policy: offline training suspended for this county only; the 培训项目 page refuses face-to-face.
    assert admin(server, "policy", "--all") == 2  # nothing to set
    assert (
        admin(
            server,
            "policy",
            "--offline-training",
            "suspended",
            "--guopei-limit",
            "2",
            "--cycle-years",
            "5",
            "--counties",
            COUNTY_CODE,
        )
        == 0
    )
    with db.read() as session:
        assert not projects.offline_suspended(session)  # not before the sync
        class_id = session.scalar(
            select(TrainingClass.id)
            .join(Project)
            .where(Project.owner == "county", Project.deleted.is_(False))
        )
    client.sync()
    neighbour_client.sync()
    with db.read() as session:
        assert projects.offline_suspended(session)
        assert selection.policy(session) == Policy(guopei_limit=2, cycle_years=5)
    with neighbour.read() as session:
        assert not projects.offline_suspended(session)
    schedule = {
        "first_day": dt.date(2027, 4, 1),
        "start": dt.time(9),
        "end": dt.time(12),
        "hours": 3,
    }
    with pytest.raises(UserInputError, match="暂停线下集中培训"), db.write() as session:
        projects.schedule_sessions(session, class_id, session_format=SessionFormat.FACE_TO_FACE, **schedule)

    assert admin(server, "policy", "--offline-training", "allowed", "--all") == 0
    client.sync()
    with db.write() as session:
        assert not projects.offline_suspended(session)
        assert selection.policy(session) == Policy(guopei_limit=2, cycle_years=5)  # kept: not re-sent
        assert projects.schedule_sessions(
            session, class_id, session_format=SessionFormat.FACE_TO_FACE, **schedule
        )
    db.dispose()
    neighbour.dispose()
