"""Exchange files between two laptops of one county, on real SQLite files: overlapping halves of a
class checked in offline, an exchange in each direction, both end identical; refused files change
nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from desktop.db.engine import Database, open_database
from desktop.db.models import Attendance, Enrollment, OutboxEntry, Setting, TrainingClass, TrainingSession
from desktop.domain.audit import AUDIT_ENTITY
from desktop.services import certificates, checkin
from desktop.sync.exchange import (
    EXPORTED_KEY,
    UnknownDevice,
    export_exchange,
    import_exchange,
    preview_exchange,
)
from desktop.sync.exchange_apply import apply_ops
from guopei_common import exchange_file
from guopei_common.certificate_signing import generate_key
from guopei_common.exchange_file import WRONG_PASSWORD, ExchangeRefused
from tests.conftest import DEMO_TODAY

PASSWORD = "平塘县交换口令2026"


def laptop(demo_dir: Path, where: Path, *, new_device: bool, county: str | None = None) -> Database:
    """A PC of the demo county after its last sync: nothing waiting, everything exchanged before."""
    shutil.copytree(demo_dir, where)
    with sqlite3.connect(where / "guopei.sqlite3") as connection:
        if new_device:
            connection.execute("UPDATE device SET id = ?", (str(uuid.uuid4()),))
            connection.execute("DELETE FROM settings WHERE key = ?", (certificates.KEY_SETTING,))
        if county:
            connection.execute("UPDATE device SET county_code = ?", (county,))
    db = open_database(where)
    with db.write() as session:
        session.execute(delete(OutboxEntry))
        top = max(session.scalar(select(func.max(table.c.hlc))) or "" for table in _synced_tables())
        session.merge(Setting(key=EXPORTED_KEY, value=top))
    return db


def _synced_tables():
    from desktop.db.base import Base

    return [
        mapper.class_.__table__
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    ]


def busiest_session(db: Database) -> tuple[str, list[str]]:
    """Today's session with most trainees still to check in, and those trainees."""
    with db.read() as session:
        ids = session.scalars(
            select(TrainingSession.id)
            .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
            .where(TrainingSession.date == DEMO_TODAY)
        ).all()
        rolls = {
            sid: [line.enrollment_id for line in checkin.roll(session, sid).lines if line.status is None]
            for sid in ids
        }
    session_id = max(rolls, key=lambda sid: len(rolls[sid]))
    assert len(rolls[session_id]) >= 6
    return session_id, rolls[session_id]


def starts(db: Database, session_id: str) -> dt.time:
    with db.read() as session:
        return checkin.session_info(session, session_id).start


def scan(db: Database, session_id: str, enrollment_id: str, at: dt.datetime) -> None:
    with db.write() as session:
        info = checkin.session_info(session, session_id)
        result = checkin.record(session, info, enrollment_id, now=at, sign_out=False, method="badge")
        assert result.outcome in (checkin.Outcome.CHECKED_IN, checkin.Outcome.LATE), result


def attendance_of(db: Database, session_id: str) -> dict[str, tuple]:
    with db.read() as session:
        rows = session.scalars(
            select(Attendance).where(Attendance.session_id == session_id, Attendance.deleted.is_(False))
        ).all()
        return {
            row.id: (row.enrollment_id, row.status, row.checked_in_at, row.hours, row.hlc) for row in rows
        }


def statuses(db: Database, enrollment_ids: list[str]) -> dict[str, str]:
    with db.read() as session:
        return dict(
            session.execute(
                select(Enrollment.id, Enrollment.status).where(Enrollment.id.in_(enrollment_ids))
            ).all()
        )


@pytest.fixture
def two_laptops(demo_dir: Path, tmp_path: Path):
    a = laptop(demo_dir, tmp_path / "a", new_device=False)
    b = laptop(demo_dir, tmp_path / "b", new_device=True)
    yield a, b
    a.dispose()
    b.dispose()


def test_two_laptops_exchange_both_ways_and_end_identical(two_laptops, tmp_path: Path) -> None:
    a, b = two_laptops
    session_id, trainees = busiest_session(a)
    third = len(trainees) // 3
    start = dt.datetime.combine(DEMO_TODAY, starts(a, session_id))
    first_scan: dict[str, dt.datetime] = {}
    # A takes the first two thirds at the door, B the last two thirds at the back; the middle third is
    # scanned on both, B earlier for half of them and A earlier for the other half.
    for index, enrollment_id in enumerate(trainees[: 2 * third]):
        at = start + dt.timedelta(minutes=index % 7, seconds=index)
        scan(a, session_id, enrollment_id, at)
        first_scan[enrollment_id] = at
    for index, enrollment_id in enumerate(trainees[third:]):
        at = start + dt.timedelta(minutes=3 if index % 2 else -4, seconds=index)
        scan(b, session_id, enrollment_id, at)
        first_scan[enrollment_id] = min(first_scan.get(enrollment_id, at), at)

    a_file, b_file = tmp_path / "a.gpx", tmp_path / "b.gpx"
    exported = export_exchange(a, a_file, password=PASSWORD)
    export_exchange(b, b_file, password=PASSWORD)
    assert exported.counts["attendance"] == 2 * third

    preview = preview_exchange(b, a_file, password=PASSWORD)
    assert (preview.device_id, preview.trusted, preview.counts["attendance"]) == (
        a.device.device_id,
        False,
        2 * third,
    )
    with pytest.raises(UnknownDevice, match=preview.fingerprint):
        import_exchange(b, a_file, password=PASSWORD)
    assert import_exchange(b, a_file, password=PASSWORD, trust_device=True).applied >= third
    assert import_exchange(a, b_file, password=PASSWORD, trust_device=True).applied > 0

    on_a, on_b = attendance_of(a, session_id), attendance_of(b, session_id)
    assert on_a == on_b
    assert len(on_a) == len(trainees)  # a trainee scanned on both laptops is one row
    kept = {
        enrollment_id: checked_in_at for enrollment_id, _status, checked_in_at, _hours, _hlc in on_a.values()
    }
    assert kept == first_scan  # the earlier check-in time
    assert statuses(a, trainees) == statuses(b, trainees)

    # Again, either way: nothing changes (the file was imported), and the same ops merged again neither.
    assert import_exchange(b, a_file, password=PASSWORD).preview.imported_before
    assert attendance_of(b, session_id) == on_b
    ops = [
        op for batch in exchange_file.read(a_file, password=PASSWORD).body["batches"] for op in _ops(batch)
    ]
    assert apply_ops(b, ops).applied == 0
    assert attendance_of(b, session_id) == on_b

    # B remembered A: its next file imports without asking.
    assert preview_exchange(b, a_file, password=PASSWORD).trusted


def _ops(batch: dict) -> list:
    from guopei_common.protocol import expand_batch

    return expand_batch(batch).ops


def test_refused_files_change_nothing(two_laptops, demo_dir: Path, tmp_path: Path) -> None:
    a, b = two_laptops
    session_id, trainees = busiest_session(a)
    start = dt.datetime.combine(DEMO_TODAY, starts(a, session_id))
    for index, enrollment_id in enumerate(trainees[:5]):
        scan(a, session_id, enrollment_id, start + dt.timedelta(minutes=index))
    good = tmp_path / "a.gpx"
    export_exchange(a, good, password=PASSWORD)
    import_exchange(b, good, password=PASSWORD, trust_device=True)  # B now knows A's key
    scan(a, session_id, trainees[5], start + dt.timedelta(minutes=9))
    later = tmp_path / "a2.gpx"
    export_exchange(a, later, password=PASSWORD)
    before = attendance_of(b, session_id)

    with pytest.raises(ExchangeRefused, match=WRONG_PASSWORD):
        import_exchange(b, later, password="别的口令")
    tampered = tmp_path / "tampered.gpx"
    data = bytearray(later.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    with pytest.raises(ExchangeRefused, match=WRONG_PASSWORD):
        import_exchange(b, tampered, password=PASSWORD)

    # Someone with the password signs A's content with another key under A's name.
    original = exchange_file.read(later, password=PASSWORD)
    forged = tmp_path / "forged.gpx"
    forged.write_bytes(
        exchange_file.encode(original.header, original.body, private_key=generate_key(), password=PASSWORD)
    )
    with pytest.raises(ExchangeRefused, match="与本机登记的该设备密钥"):
        import_exchange(b, forged, password=PASSWORD, trust_device=True)

    other = laptop(demo_dir, tmp_path / "other", new_device=True, county="522728")
    try:
        foreign = tmp_path / "other.gpx"
        scan(other, session_id, trainees[7], start)
        export_exchange(other, foreign, password=PASSWORD)
        with pytest.raises(ExchangeRefused, match="522728"):
            import_exchange(b, foreign, password=PASSWORD, trust_device=True)
    finally:
        other.dispose()
    assert attendance_of(b, session_id) == before

    # The genuine file still imports.
    assert import_exchange(b, later, password=PASSWORD).applied >= 1
    assert len(attendance_of(b, session_id)) == len(before) + 1
    with b.read() as session:
        # Nothing to push twice: only the imports' own audit entries wait for the province.
        waiting = session.scalars(select(OutboxEntry.entity)).all()
    assert set(waiting) == {AUDIT_ENTITY}


def test_the_command_line_exports_and_imports(
    two_laptops, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.cli import main

    a, b = two_laptops
    session_id, trainees = busiest_session(a)
    start = dt.datetime.combine(DEMO_TODAY, starts(a, session_id))
    scan(a, session_id, trainees[0], start)
    monkeypatch.setenv("GUOPEI_DESK_EXCHANGE_PASSWORD", PASSWORD)
    target = tmp_path / "一号机.gpx"
    a_dir, b_dir = str(a.path.parent), str(b.path.parent)
    assert main(["--data-dir", a_dir, "exchange", "export", "--out", str(target)]) == 0
    assert "签到 1 条" in capsys.readouterr().out
    assert main(["--data-dir", b_dir, "exchange", "import", str(target)]) == 2
    assert "--trust-device" in capsys.readouterr().err
    assert main(["--data-dir", b_dir, "exchange", "import", str(target), "--trust-device"]) == 0
    assert "新增或更新 1 条" in capsys.readouterr().out
    assert len(attendance_of(b, session_id)) == len(attendance_of(a, session_id))
    monkeypatch.setenv("GUOPEI_DESK_EXCHANGE_PASSWORD", "不对的口令")
    assert main(["--data-dir", b_dir, "exchange", "import", str(target)]) == 2
    assert "交换密码不对" in capsys.readouterr().err
