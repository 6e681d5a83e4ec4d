"""The audit log reaches the province and stays as it was pushed (issue 14): on the real server on a
loopback port (SQLite and PostgreSQL), a county cannot change or delete an entry once pushed, and the
province sees who dismissed a teacher and who annulled the record afterwards."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from desktop.db.engine import open_database
from desktop.db.models import AuditEntry, Enrollment, IntegrityRecord, OutboxEntry, Project, Teacher
from desktop.db.outbox import add_append_only
from desktop.domain.audit import AUDIT_ENTITY, AuditAction
from desktop.services import accounts, audit, integrity, selection
from desktop.services.demo_county import COUNTY_CODE, DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo_county
from desktop.sync.client import SyncClient, register
from guopei_common.audit import APPEND_ONLY
from guopei_common.vocab import EnrollmentStatus, Program
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import as_real_county

STAFF, ADMIN = DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[0][0]


def test_a_pushed_audit_entry_cannot_be_changed_or_deleted_by_the_county(server, tmp_path, capsys):
    build_demo_county(tmp_path / "county", teachers=50, today=DEMO_TODAY, accounts=True)
    db = as_real_county(open_database(tmp_path / "county"))
    client = SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)))
    accounts.login(db, STAFF, DEMO_PASSWORD)
    with db.write() as session:
        enrollment = session.scalars(
            select(Enrollment)
            .join(Project, Enrollment.project_id == Project.id)
            .where(
                Enrollment.status.in_(["applied", "admitted", "approved", "publicised", "attending"]),
                Project.program.in_([p.value for p in Program if p.is_guopei]),
            )
        ).first()
        selection.advance(
            session,
            [enrollment.id],
            EnrollmentStatus.DISMISSED,
            at=dt.datetime(2026, 11, 30, 16),
            reason="无故缺勤三天，劝退",
        )
        record = session.scalar(select(IntegrityRecord).where(IntegrityRecord.enrollment_id == enrollment.id))
        number = session.get_one(Teacher, enrollment.teacher_id).id_number
    summary = client.push()
    assert not summary.rejected

    def province(sql: str) -> list[tuple]:
        return server.query(sql)

    rows = province(
        "SELECT actor, role, action, device_id, county_code FROM audit_records"
        f" WHERE teacher_id = '{enrollment.teacher_id}' ORDER BY at"
    )
    assert ("演示培训管理员", "staff", AuditAction.INTEGRITY.value, db.device.device_id, COUNTY_CODE) in rows
    with db.read() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.INTEGRITY.value, AuditEntry.row_id == record.id
            )
        )
    (before,) = province(f"SELECT actor, detail FROM audit_records WHERE id = '{entry.id}'")
    assert before[0] == STAFF and "劝退" in json.loads(before[1])["reason"]

    # The county rewrites its own copy and pushes the changed entry, then a deletion of it.
    with db.write() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(actor="某人"))
        changed = {**audit.wire_payload(entry), "actor": "某人"}
        add_append_only(session, AUDIT_ENTITY, changed)
        add_append_only(session, AUDIT_ENTITY, audit.wire_payload(entry))
        last = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        last.payload = json.dumps({**json.loads(last.payload), "deleted": True}, ensure_ascii=False)
    summary = client.push()
    reasons = [op.reason for op in summary.rejected if op.entity == AUDIT_ENTITY]
    assert reasons == [APPEND_ONLY, APPEND_ONLY]
    assert province(f"SELECT actor, detail FROM audit_records WHERE id = '{entry.id}'") == [before]

    # An administrator annuls the record (an appeal succeeded): the province sees who, why, and what it was.
    accounts.login(db, ADMIN, DEMO_PASSWORD)
    with db.write() as session:
        integrity.annul(session, record.id, reason="申诉成立：因病住院，有医院证明")
    assert not client.push().rejected
    (annulled,) = province(
        f"SELECT actor, detail FROM audit_records WHERE action = 'integrity_annul' AND row_id = '{record.id}'"
    )
    assert annulled[0] == ADMIN
    detail = json.loads(annulled[1])
    assert detail["reason"].startswith("申诉成立") and detail["before"]["kind"] == "劝退"
    (stored,) = province(
        f"SELECT payload FROM rows WHERE entity = 'integrity_record' AND row_id = '{record.id}'"
    )
    assert json.loads(stored[0])["deleted"] is True
    db.dispose()

    # The province asks: who did what to this teacher's record?
    capsys.readouterr()
    assert server_cli(["audit", "--db", server.db, COUNTY_CODE, "--teacher", number]) == 0
    listing = capsys.readouterr().out
    assert f"{STAFF}（staff）integrity" in listing and f"{ADMIN}（admin）integrity_annul" in listing
