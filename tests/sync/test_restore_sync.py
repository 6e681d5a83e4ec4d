"""Restoring a backup on a PC registered with the province: what the PC synced after the backup comes
back at the next sync (its own changes, which an ordinary pull leaves out). Real server, real files."""

from __future__ import annotations

from desktop.cli import main
from desktop.db import backup
from desktop.db.engine import create_database, open_database
from desktop.db.models import OutboxEntry, School
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import SyncClient, register
from desktop.sync.credentials import Credentials, save_credentials
from tests.sync.conftest import Server


def add_school(db, name: str) -> None:
    with db.write() as session:
        session.add(School(name=name, county_code=COUNTY_CODE, township="平舟镇"))


def schools_and_outbox(data_dir) -> tuple[list[str], int]:
    db = open_database(data_dir)
    try:
        with db.read() as session:
            return sorted(s.name for s in session.query(School)), session.query(OutboxEntry).count()
    finally:
        db.dispose()


def test_a_restored_pc_gets_back_what_it_synced_after_the_backup(
    server: Server, tmp_path, monkeypatch, capsys
):
    data_dir = tmp_path / "county"
    db = create_database(data_dir, county_code=COUNTY_CODE, county_name="平塘县")
    token = register(db, server.url, server.code(COUNTY_CODE))
    save_credentials(data_dir, Credentials(server.url, token))
    add_school(db, "备份之前的学校")
    SyncClient(db, server.url, token).sync()
    backup.set_backup_password(data_dir, "mima-2026")
    file = backup.create_backup(data_dir, reason=backup.REASON_MANUAL).path
    add_school(db, "备份之后已同步的学校")
    summary, _pulled = SyncClient(db, server.url, token).sync()
    assert summary.rejected == []
    db.dispose()

    monkeypatch.setenv("GUOPEI_DESK_BACKUP_PASSWORD", "mima-2026")
    assert main(["--data-dir", str(data_dir), "restore", str(file)]) == 0
    # Only the restore itself waits to be sent: its audit entry (who restored which backup).
    assert schools_and_outbox(data_dir) == (["备份之前的学校"], 1)

    assert main(["--data-dir", str(data_dir), "sync"]) == 0
    assert schools_and_outbox(data_dir) == (["备份之前的学校", "备份之后已同步的学校"], 0)
    # Nothing went to the province twice: it holds each school once.
    assert server.query("SELECT count(*) FROM rows WHERE entity = 'school'") == [(2,)]
