"""Exchange files with the real province server on a loopback port (SQLite and PostgreSQL): two
laptops of a county check in overlapping halves of a class offline and exchange; the province imports
their files as their pushes (a later push of the same changes is all "duplicate") and writes one back;
after syncing, the server holds each check-in once and both laptops hold what it holds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.engine import create_database, open_database
from desktop.db.models import Attendance
from desktop.services import certificates
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import SyncClient, register
from desktop.sync.exchange import UnknownDevice, export_exchange, import_exchange
from guopei_common.certificate_signing import parse_serial
from guopei_common.exchange_file import PASSWORD_ENV
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import Server, as_real_county
from tests.sync.test_exchange import busiest_session, scan, starts

PASSWORD = "平塘县交换口令2026"


@pytest.fixture(scope="module")
def laptops(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SyncClient, SyncClient]]:
    """A: the county office's PC with the county's data, synced; B: a venue laptop registered and
    synced from the province. Then the link goes."""
    data_dir = tmp_path_factory.mktemp("a") / "county"
    build_demo_county(data_dir, teachers=300, today=DEMO_TODAY)
    a_db = as_real_county(open_database(data_dir))
    a = SyncClient(a_db, server.url, register(a_db, server.url, server.code(COUNTY_CODE)))
    a.sync()
    b_db = create_database(
        tmp_path_factory.mktemp("b") / "county", county_code=COUNTY_CODE, county_name="平塘县"
    )
    b = SyncClient(b_db, server.url, register(b_db, server.url, server.code(COUNTY_CODE)))
    b.sync()
    a.sync()  # A learns B's key
    yield a, b
    a_db.dispose()
    b_db.dispose()


def _attendance(client: SyncClient, session_id: str) -> dict[str, tuple]:
    with client.db.read() as session:
        rows = session.scalars(
            select(Attendance).where(Attendance.session_id == session_id, Attendance.deleted.is_(False))
        ).all()
        return {row.enrollment_id: (row.id, row.status, row.checked_in_at.isoformat()) for row in rows}


def _on_server(server: Server, session_id: str) -> list[dict]:
    payloads = [
        json.loads(text) for (text,) in server.query("SELECT payload FROM rows WHERE entity = 'attendance'")
    ]
    return [p for p in payloads if p["session_id"] == session_id and not p.get("deleted")]


def test_offline_week_exchanged_then_synced(
    server: Server, laptops: tuple[SyncClient, SyncClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = laptops
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    # Registered and synced: each laptop has its number from the province, in the serials it issues.
    with a.db.read() as session, b.db.read() as there:
        numbers = {certificates.device_number(session), certificates.device_number(there)}
        assert parse_serial(f"522727-2026-{certificates.serial_device(session)}-00001").device.startswith("D")
    assert len(numbers) == 2 and None not in numbers

    session_id, trainees = busiest_session(a.db)
    start = dt.datetime.combine(DEMO_TODAY, starts(a.db, session_id))
    third = len(trainees) // 3
    earliest: dict[str, str] = {}
    for index, enrollment_id in enumerate(trainees[: 2 * third]):
        at = start + dt.timedelta(minutes=1, seconds=index)
        scan(a.db, session_id, enrollment_id, at)
        earliest[enrollment_id] = at.isoformat()
    for index, enrollment_id in enumerate(trainees[third:]):
        at = start + dt.timedelta(minutes=-2 if index % 2 else 4, seconds=index)
        scan(b.db, session_id, enrollment_id, at)
        earliest[enrollment_id] = min(earliest.get(enrollment_id, at.isoformat()), at.isoformat())

    a_file, b_file = tmp_path / "a.gpx", tmp_path / "b.gpx"
    export_exchange(a.db, a_file, password=PASSWORD)
    export_exchange(b.db, b_file, password=PASSWORD)
    # Registered devices: the province's key list (pulled at sync) vouches for each other's key.
    import_exchange(b.db, a_file, password=PASSWORD)
    import_exchange(a.db, b_file, password=PASSWORD)
    on_a = _attendance(a, session_id)
    assert on_a == _attendance(b, session_id)
    assert {enrollment: times[2] for enrollment, times in on_a.items()} == earliest
    assert len(on_a) == len(trainees)

    # A's file at the province is A's push: the same ops, so A's own push later is all "duplicate" but
    # for the audit entries of that export and of B's import on A, written after the file was.
    assert server_cli(["import-bundle", "--db", server.db, str(a_file)]) == 0
    outbox = len(json.loads(json.dumps(_outbox_ids(a))))
    pushed = a.push()
    assert (pushed.sent, pushed.duplicate, pushed.applied) == (outbox, outbox - 2, 2)

    # B's file too; then the province writes B the county's feed since B's position, which B imports.
    assert server_cli(["import-bundle", "--db", server.db, str(b_file)]) == 0
    feed = tmp_path / "province.gpx"
    assert (
        server_cli(
            [
                "export-bundle",
                "--db",
                server.db,
                COUNTY_CODE,
                "--for-device",
                b.db.device.device_id,
                "--out",
                str(feed),
            ]
        )
        == 0
    )
    with pytest.raises(UnknownDevice):
        import_exchange(b.db, feed, password=PASSWORD)
    import_exchange(b.db, feed, password=PASSWORD, trust_device=True)

    b_pushed, _ = b.sync()
    # Everything arrived by the stick already, but for the audit entries of B's export and two imports.
    assert b_pushed.applied == 3 and b_pushed.rejected == []
    a.sync()
    on_server = _on_server(server, session_id)
    assert sorted(p["enrollment_id"] for p in on_server) == sorted(trainees)  # each check-in once
    assert {p["enrollment_id"]: p["checked_in_at"] for p in on_server} == earliest
    assert _attendance(a, session_id) == _attendance(b, session_id)


def _outbox_ids(client: SyncClient) -> list[str]:
    from desktop.db.models import OutboxEntry

    with client.db.read() as session:
        return list(session.scalars(select(OutboxEntry.op_id)))
