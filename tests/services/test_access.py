"""Operators and roles in the services (issue 14): every role is refused, with a Chinese message that
names the missing permission, on what it may not do; every kind of change records the logged-in
operator and the device; views and exports of personal data are in the audit log."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from desktop.db.backup import set_backup_password
from desktop.db.engine import Database, open_database
from desktop.db.models import (
    AuditEntry,
    Certificate,
    Completion,
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    OperatorAccount,
    OutboxEntry,
    Project,
    School,
    Teacher,
)
from desktop.domain.audit import AUDIT_ENTITY, AuditAction
from desktop.domain.roles import PERMISSIONS, Permission, Role
from desktop.errors import PermissionDenied, UserInputError
from desktop.services import (
    access,
    accounts,
    audit,
    backups,
    certificates,
    completion,
    credits,
    integrity,
    projects,
    roster,
    selection,
    teachers,
)
from desktop.services.demo_county import DEMO_ACCOUNTS, DEMO_PASSWORD, build_demo_county
from desktop.services.roster import TeacherFilter
from desktop.services.roster_export import export_teachers
from desktop.services.roster_import import apply_teacher_import, preview_teacher_import
from desktop.sync.client import apply_policy
from desktop.sync.first_pull import restore_and_catch_up
from guopei_common.idnumber import make_id_number
from guopei_common.protocol import PolicyResponse
from guopei_common.vocab import EmploymentStatus, EnrollmentStatus, IntegrityKind, Program
from tests.conftest import DEMO_TODAY

NAMES = {role: name for name, role in DEMO_ACCOUNTS}
AT = dt.datetime.combine(DEMO_TODAY, dt.time(23, 0))


@pytest.fixture(scope="module")
def accounts_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-accounts") / "county"
    build_demo_county(folder, teachers=300, today=DEMO_TODAY, accounts=True)
    return folder


@pytest.fixture
def county(accounts_demo: Path, tmp_path: Path) -> Database:
    shutil.copytree(accounts_demo, tmp_path / "county")
    db = open_database(tmp_path / "county")
    yield db
    db.dispose()


def log_in(db: Database, role: Role) -> None:
    accounts.login(db, NAMES[role], DEMO_PASSWORD)


def entries(db: Database, action: AuditAction) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action.value)))


def _any(session, query):
    found = session.scalar(query.limit(1))
    assert found is not None
    return found


def guarded_calls() -> dict[Permission, Callable]:
    """One service call per permission, each of which the service refuses without it."""

    def teacher(session):
        return _any(session, select(Teacher.id))

    def enrollment(session, status: str):
        return _any(session, select(Enrollment.id).where(Enrollment.status == status))

    return {
        Permission.VIEW: lambda s: roster.teacher_ids(s, TeacherFilter()),
        Permission.EDIT_ROSTER: lambda s: teachers.set_employment_status(
            s, teacher(s), EmploymentStatus.RETIRED, note=""
        ),
        Permission.EXPORT_PERSONAL: lambda s: export_teachers(
            s, TeacherFilter(), Path("/nonexistent/x.xlsx"), full_numbers=True
        ),
        Permission.MANAGE_PROJECTS: lambda s: projects.set_status(
            s, _any(s, select(Project.id)), projects.ProjectStatus.PUBLISHED
        ),
        Permission.SELECT: lambda s: selection.advance(
            s, [enrollment(s, "attending")], EnrollmentStatus.WITHDRAWN, at=AT, reason="x"
        ),
        Permission.COMPLETE: lambda s: completion.record_assessment(
            s, [enrollment(s, "attending")], passed=True
        ),
        Permission.CREDITS: lambda s: credits.submit_year(s, 2026),
        Permission.CERTIFICATES: lambda s: certificates.record_printed(s, [_any(s, select(Certificate.id))]),
        Permission.REVOKE: lambda s: certificates.revoke(s, _any(s, select(Certificate.serial)), reason="x"),
        Permission.CORRECT_INTEGRITY: lambda s: integrity.annul(
            s, _any(s, select(IntegrityRecord.id)), reason="x"
        ),
        Permission.POLICY: lambda s: projects.set_offline_suspended(s, True),
        Permission.ACCOUNTS: lambda s: accounts.account_rows(s),
        Permission.AUDIT: lambda s: audit.entries(s, audit.AuditFilter()),
    }


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_what_it_may_not_do_naming_the_permission(county, role):
    log_in(county, role)
    refused = 0
    for permission, call in guarded_calls().items():
        if permission in PERMISSIONS[role]:
            continue
        with pytest.raises(PermissionDenied) as caught, county.write() as session:
            call(session)
        message = str(caught.value)
        assert f"“{permission.label}”" in message and f"{NAMES[role]}（{role.label}）" in message
        refused += 1
    assert refused == len(guarded_calls()) - len(set(guarded_calls()) & PERMISSIONS[role])


def test_nobody_logged_in_is_refused_once_accounts_exist(county):
    with pytest.raises(PermissionDenied, match="请先登录：“修改政策开关”"), county.write() as session:
        projects.set_offline_suspended(session, True)


def test_a_county_without_accounts_works_as_before(county):
    with county.write() as session:
        session.execute(delete(OperatorAccount))
    with county.write() as session:
        projects.set_offline_suspended(session, True)
    (entry,) = entries(county, AuditAction.POLICY)
    assert (entry.actor, entry.role) == (access.CENTRE_ACTOR, "")


def test_the_actor_of_every_kind_of_change_is_the_logged_in_operator(county, tmp_path):
    device = county.device.device_id
    log_in(county, Role.STAFF)
    staff = NAMES[Role.STAFF]
    with county.write() as session:
        dismissed_one = session.scalars(
            select(Enrollment)
            .join(Project, Enrollment.project_id == Project.id)
            .where(
                Enrollment.status.in_(["applied", "admitted", "approved", "publicised", "attending"]),
                Project.program.in_([p.value for p in Program if p.is_guopei]),
            )
        ).first()
        selection.advance(
            session, [dismissed_one.id], EnrollmentStatus.DISMISSED, at=AT, reason="多次缺勤，劝退"
        )
        # A completion decision not yet synced is taken back, then decided again.
        decided = session.scalars(select(Completion).where(Completion.deleted.is_(False))).first()
        enrollment = session.get_one(Enrollment, decided.enrollment_id)
        completion.undo(session, [enrollment.id], at=AT)
        completion.confirm(session, enrollment.project_id, [enrollment.id], at=AT)
        credit = credits.add_manual(
            session,
            teacher_id=enrollment.teacher_id,
            year=2026,
            level=credits.TrainingLevel.COUNTY,
            hours=6,
            credits=0.5,
            reason="县级专题讲座",
        )
        credits.submit_year(session, 2026)
        certificate = _any(session, select(Certificate.id).where(Certificate.revoked.is_(False)))
        certificates.record_printed(session, [certificate])
        teachers.set_employment_status(
            session, enrollment.teacher_id, EmploymentStatus.TRANSFERRED, note="调出"
        )
        school = _any(session, select(School.name))
    events = {}
    with county.read() as session:
        for event in session.scalars(select(EnrollmentEvent).where(EnrollmentEvent.at == AT)):
            events[(event.enrollment_id, event.to_status)] = event
        decision = session.scalar(select(Completion).where(Completion.enrollment_id == enrollment.id))
    assert events[(dismissed_one.id, "dismissed")].actor == staff
    assert events[(dismissed_one.id, "dismissed")].origin == device
    assert events[(enrollment.id, "attending")].actor == staff
    assert decision.decided_by == staff

    path = tmp_path / "名单.csv"
    number = make_id_number(region_code="522727", birth_date=dt.date(1990, 5, 6), sequence=7, gender="2")
    path.write_text(f"姓名,身份证号,学校/单位\n吴晓梅,{number},{school}\n", encoding="utf-8")
    with county.write() as session:
        preview = preview_teacher_import(session, path, today=DEMO_TODAY, create_schools=False)
        apply_teacher_import(session, preview, county_code="522727", today=DEMO_TODAY)

    log_in(county, Role.ADMIN)
    admin = NAMES[Role.ADMIN]
    with county.write() as session:
        serial = session.get_one(Certificate, certificate).serial
        certificates.revoke(session, serial, reason="证书信息有误，重新发放")
        projects.set_offline_suspended(session, True)
        record = _any(
            session,
            select(IntegrityRecord.id).where(
                IntegrityRecord.deleted.is_(False), IntegrityRecord.kind != IntegrityKind.NO_SHOW.value
            ),
        )
        integrity.correct(
            session, record, kind=IntegrityKind.NO_SHOW, ban_until=dt.date(2028, 1, 1), reason="录入错误"
        )

    expected = {
        AuditAction.STATUS: staff,
        AuditAction.INTEGRITY: staff,
        AuditAction.COMPLETION_UNDO: staff,
        AuditAction.COMPLETION: staff,
        AuditAction.CREDIT: staff,
        AuditAction.CREDIT_SUBMIT: staff,
        AuditAction.CERTIFICATE_PRINT: staff,
        AuditAction.ROSTER_EDIT: staff,
        AuditAction.ROSTER_IMPORT: staff,
        AuditAction.CERTIFICATE_REVOKE: admin,
        AuditAction.POLICY: admin,
        AuditAction.INTEGRITY_CORRECT: admin,
    }
    for action, name in expected.items():
        found = entries(county, action)
        assert found, action
        assert {(e.actor, e.device_id) for e in found} == {(name, device)}, action
    (dismissal,) = [
        e for e in entries(county, AuditAction.INTEGRITY) if e.teacher_id == dismissed_one.teacher_id
    ]
    assert "劝退" in dismissal.detail["reason"]
    (corrected,) = entries(county, AuditAction.INTEGRITY_CORRECT)
    assert (
        corrected.detail["before"]["kind"] != corrected.detail["after"]["kind"] == IntegrityKind.NO_SHOW.label
    )
    assert credit  # the manual entry's id
    # Each entry goes to the province through the outbox, like a change.
    with county.read() as session:
        pushed = set(session.scalars(select(OutboxEntry.row_id).where(OutboxEntry.entity == AUDIT_ENTITY)))
        written = set(session.scalars(select(AuditEntry.id)))
    assert written <= pushed


def test_views_exports_and_refused_rows_of_personal_data_are_audited(county, tmp_path):
    log_in(county, Role.READER)
    with county.read() as session:
        teacher_id = _any(session, select(Teacher.id))
        number = session.get_one(Teacher, teacher_id).id_number
    with county.write() as session:
        masked = teachers.teacher_file(session, teacher_id, today=DEMO_TODAY)
    assert masked.id_number != number and "*" in masked.id_number
    assert entries(county, AuditAction.VIEW_PERSONAL) == []  # nothing full was shown

    log_in(county, Role.STAFF)
    with county.write() as session:
        full = teachers.teacher_file(session, teacher_id, today=DEMO_TODAY)
        export_teachers(session, TeacherFilter(), tmp_path / "全.xlsx", full_numbers=True)
    assert full.id_number == number
    (view,) = entries(county, AuditAction.VIEW_PERSONAL)
    assert (view.actor, view.teacher_id) == (NAMES[Role.STAFF], teacher_id)
    (export,) = entries(county, AuditAction.EXPORT_FULL)
    assert export.detail["count"] > 0 and number not in str(export.detail)


def test_backup_and_restore_are_audited_and_need_the_permission(county):
    data_dir = county.path.parent
    set_backup_password(data_dir, "backup-secret-1")
    log_in(county, Role.STAFF)
    with pytest.raises(PermissionDenied, match="“备份与恢复”"):
        backups.take_backup(county)
    with pytest.raises(PermissionDenied, match="“备份与恢复”"):
        backups.authorise_restore(county)
    log_in(county, Role.ADMIN)
    outcome = backups.take_backup(county)
    (made,) = entries(county, AuditAction.BACKUP)
    assert made.actor == NAMES[Role.ADMIN]
    operator = backups.authorise_restore(county)
    county.dispose()
    restore_and_catch_up(outcome.path, "backup-secret-1", data_dir, operator=operator)
    restored = open_database(data_dir)
    try:
        (entry,) = entries(restored, AuditAction.RESTORE)
        assert entry.actor == NAMES[Role.ADMIN] and entry.detail["file"] == outcome.path.name
    finally:
        restored.dispose()


def test_an_annulled_integrity_record_stays_in_the_history_and_no_longer_bans(county):
    log_in(county, Role.ADMIN)
    with county.read() as session:
        record = session.scalars(select(IntegrityRecord).where(IntegrityRecord.deleted.is_(False))).first()
    with pytest.raises(UserInputError, match="须写明理由"), county.write() as session:
        integrity.annul(session, record.id, reason=" ")
    with county.write() as session:
        integrity.annul(session, record.id, reason="申诉成立：因公出差")
    with county.read() as session:
        assert session.get_one(IntegrityRecord, record.id).deleted
    (entry,) = entries(county, AuditAction.INTEGRITY_ANNUL)
    assert entry.detail["before"]["ban_until"] == record.ban_until.isoformat()
    assert entry.detail["reason"] == "申诉成立：因公出差" and entry.teacher_id == record.teacher_id


def test_five_wrong_passwords_lock_and_an_administrator_resets(county):
    name = NAMES[Role.CHECK_IN]
    for attempt in range(1, 5):
        with pytest.raises(accounts.LoginRefused, match=f"已连续输错 {attempt} 次"):
            accounts.login(county, name, "wrong-password")
    with pytest.raises(accounts.LoginRefused, match="账户已锁定"):
        accounts.login(county, name, "wrong-password")
    with pytest.raises(accounts.LoginRefused, match="已锁定，请 15 分钟后再试"):
        accounts.login(county, name, DEMO_PASSWORD)
    assert len(entries(county, AuditAction.LOGIN_FAILED)) == 5
    log_in(county, Role.ADMIN)
    with county.write() as session:
        accounts.reset_password(session, name, "new-pass-9")
    assert accounts.login(county, name, "new-pass-9").role == Role.CHECK_IN


def test_the_last_administrator_cannot_be_removed(county):
    log_in(county, Role.ADMIN)
    with county.write() as session:
        accounts.remove_account(session, NAMES[Role.STAFF])
    with pytest.raises(UserInputError, match="最后一个管理员"), county.write() as session:
        accounts.remove_account(session, NAMES[Role.ADMIN])


def test_the_first_account_is_an_administrator_and_then_accounts_need_one(empty_db):
    with pytest.raises(UserInputError, match="第一个账户必须是管理员"), empty_db.write() as session:
        accounts.add_account(session, "李老师", Role.STAFF, "secret-1")
    with empty_db.write() as session:
        accounts.add_account(session, "张主任", Role.ADMIN, "secret-1")
    with pytest.raises(PermissionDenied, match="“管理账户”"), empty_db.write() as session:
        accounts.add_account(session, "李老师", Role.STAFF, "secret-2")
    with empty_db.read() as session:
        stored = session.get_one(OperatorAccount, "张主任").password_hash
    assert stored.startswith("scrypt$") and "secret-1" not in stored


def test_exchange_files_need_the_permission_are_audited_and_carry_audit_entries(county, tmp_path):
    from desktop.services import reports
    from desktop.sync.exchange import export_exchange, import_exchange, preview_exchange
    from tests.sync.test_exchange import laptop

    there = laptop(county.path.parent, tmp_path / "b", new_device=True)
    try:
        out = tmp_path / "一号机.gpx"
        for role in (Role.CHECK_IN, Role.READER):
            log_in(county, role)
            with pytest.raises(PermissionDenied) as caught:
                export_exchange(county, out, password="exchange-pass")
            assert f"{NAMES[role]}（{role.label}）没有“导入导出交换文件”的权限" in str(caught.value)
            assert not out.exists()
        log_in(county, Role.STAFF)  # the login itself is an audit entry waiting for the province
        with county.write() as session:
            teacher_id = _any(session, select(Teacher.id))
            teachers.set_employment_status(session, teacher_id, EmploymentStatus.RETIRED, note="退休")
        made = export_exchange(county, out, password="exchange-pass")
        assert made.counts.get(AUDIT_ENTITY, 0) >= 2 and made.counts["teacher"] >= 1
        (exported,) = entries(county, AuditAction.EXCHANGE_EXPORT)
        assert exported.actor == NAMES[Role.STAFF] and exported.detail["file"] == out.name

        log_in(there, Role.READER)
        for refused in (
            lambda: preview_exchange(there, out, password="exchange-pass"),
            lambda: import_exchange(there, out, password="exchange-pass", trust_device=True),
        ):
            with pytest.raises(PermissionDenied, match="没有“导入导出交换文件”的权限"):
                refused()
        log_in(there, Role.ADMIN)
        result = import_exchange(there, out, password="exchange-pass", trust_device=True)
        assert result.applied >= 1  # the sender's audit entries did not get the file refused
        with there.read() as session:
            assert session.get_one(Teacher, teacher_id).employment_status == EmploymentStatus.RETIRED.value
        (imported,) = entries(there, AuditAction.EXCHANGE_IMPORT)
        assert imported.actor == NAMES[Role.ADMIN]
        assert entries(there, AuditAction.ROSTER_EDIT) == []  # the sender's entries stay the sender's

        log_in(county, Role.CHECK_IN)
        with pytest.raises(PermissionDenied, match="没有“查看名单和报表”的权限"), county.read() as session:
            reports.build(session, "coverage", year=2026, county_name="平塘县", today=DEMO_TODAY)
        log_in(county, Role.READER)
        with county.read() as session:
            report = reports.build(session, "coverage", year=2026, county_name="平塘县", today=DEMO_TODAY)
        with county.read() as session:
            numbers = set(session.scalars(select(Teacher.id_number)))
        cells = {
            str(cell)
            for section in report.sections
            for table in section.tables
            for row in table.rows
            for cell in row
        }
        assert len(cells) > 10 and not numbers & cells  # masked: no audit entry needed
    finally:
        there.dispose()


def test_the_provinces_policy_applied_at_a_sync_needs_no_local_permission_and_is_not_a_local_change(
    county: Database,
) -> None:
    # A 签到员 presses F9 at a venue: the province's switches arrive with the pull. They are the
    # province's decision, not this operator's: applied without the 政策开关 permission, and no local
    # audit entry (which would then be pushed back as the county's change).
    log_in(county, Role.CHECK_IN)
    before = len(entries(county, AuditAction.POLICY))
    with county.write() as session:
        apply_policy(session, PolicyResponse(offline_training_suspended=True, guopei_limit=2, cycle_years=4))
    with county.read() as session:
        assert projects.offline_suspended(session)
        assert (selection.policy(session).guopei_limit, selection.policy(session).cycle_years) == (2, 4)
    assert len(entries(county, AuditAction.POLICY)) == before
    # The same switch set by hand is the administrator's, checked and audited.
    with pytest.raises(PermissionDenied), county.write() as session:
        projects.set_offline_suspended(session, False)
