"""Encrypted, verified, rotated backups and restore, on real SQLite files and real folders."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import struct
import threading
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from desktop.db import backup
from desktop.db.backup_format import read_header
from desktop.db.engine import (
    DB_FILENAME,
    create_database,
    create_sqlite_engine,
    integrity_check,
    open_database,
    quick_check,
)
from desktop.db.migrate import alembic_config
from desktop.db.models import AuditEntry, School, Setting
from desktop.db.storage_errors import storage_cause
from desktop.errors import BackupDamaged, BackupPasswordError, BackupStorageFailure
from desktop.services import backups as backup_service

PASSWORD = "correct horse"
NOW = dt.datetime(2026, 12, 2, 6, 30, 0)


def _county(data_dir: Path, *, schools: int = 3, padding: int = 0) -> Path:
    """A small county database in `data_dir`, closed; `padding` bytes make it span several chunks."""
    db = create_database(data_dir, county_code="522727", county_name="平塘县")
    with db.write() as session:
        for number in range(schools):
            session.add(School(name=f"克度镇第{number}小学", county_code="522727"))
        if padding:
            session.add(Setting(key="test.padding", value=os.urandom(padding // 2).hex()))
    db.dispose()
    return data_dir


def _fingerprint(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _chunks(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each sealed chunk, length prefix included."""
    data = path.read_bytes()
    offset = read_header(path).body_offset
    found = []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        found.append((offset, 4 + length))
        offset += 4 + length
    return found


def _partials(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(backup.PARTIAL)]


# ------------------------------------------------------------------------------ backup under writes


def test_backup_taken_during_writes_restores_every_row_committed_before_it(writable_demo, tmp_path):
    data_dir = writable_demo.path.parent
    backup.set_backup_password(data_dir, PASSWORD)
    committed: list[int] = []
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            with writable_demo.write() as session:
                entry = AuditEntry(at=dt.datetime.now(), actor="签到台", action="test.write", detail={})
                session.add(entry)
                session.flush()
                seq = entry.seq
            committed.append(seq)  # only once the commit returned

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(committed) < 20:
            time.sleep(0.01)
        before = list(committed)
        outcome = backup.create_backup(data_dir, reason=backup.REASON_MANUAL)
        during = len(committed) - len(before)
    finally:
        stop.set()
        writer.join()

    assert during > 0, "writes must carry on while the backup runs"
    assert outcome.integrity == "ok"
    other_pc = tmp_path / "other-pc"
    restored = backup.restore_backup(outcome.path, PASSWORD, other_pc)
    assert restored.set_aside == () and restored.key_stored
    assert integrity_check(other_pc / DB_FILENAME) == "ok"
    db = open_database(other_pc)
    try:
        with db.read() as session:
            seqs = set(session.scalars(select(AuditEntry.seq).where(AuditEntry.action == "test.write")))
    finally:
        db.dispose()
    assert set(before) <= seqs
    assert seqs <= set(committed)  # a consistent snapshot: nothing that was never committed


# ---------------------------------------------------------------------------- refused, nothing changed


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _change_header(path: Path) -> None:
    data = path.read_bytes()
    at = data.index(b'"reason": "manual"') + len(b'"reason": "manu')
    _flip(path, at)  # "manual" → "manu`l": still valid JSON, a different header


def _flip_in_second_chunk(path: Path) -> None:
    offset, length = _chunks(path)[1]
    _flip(path, offset + length // 2)


def _cut_at_chunk_boundary(path: Path) -> None:
    offset, _ = _chunks(path)[-1]
    path.write_bytes(path.read_bytes()[:offset])


def _cut_mid_chunk(path: Path) -> None:
    offset, length = _chunks(path)[-1]
    path.write_bytes(path.read_bytes()[: offset + length // 2])


def _swap_chunks(path: Path) -> None:
    data = path.read_bytes()
    (first, _), (second, second_len) = _chunks(path)[:2]
    end = second + second_len
    path.write_bytes(data[:first] + data[second:end] + data[first:second] + data[end:])


def _append_chunk(path: Path) -> None:
    offset, length = _chunks(path)[0]
    data = path.read_bytes()
    path.write_bytes(data + data[offset : offset + length])


@pytest.mark.parametrize(
    ("damage", "refusal"),
    [
        (None, BackupPasswordError),
        (_change_header, BackupDamaged),
        (_flip_in_second_chunk, BackupDamaged),
        (_cut_at_chunk_boundary, BackupDamaged),
        (_cut_mid_chunk, BackupDamaged),
        (_swap_chunks, BackupDamaged),
        (_append_chunk, BackupDamaged),
    ],
    ids=["wrong-password", "header", "chunk", "cut-at-boundary", "cut-mid-chunk", "swapped", "appended"],
)
def test_refused_backups_leave_the_current_database_untouched(tmp_path, damage, refusal):
    data_dir = _county(tmp_path / "county", padding=3 * backup.CHUNK_SIZE)
    backup.set_backup_password(data_dir, PASSWORD)
    made = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW).path
    assert len(_chunks(made)) >= 3
    damaged = shutil.copy(made, tmp_path / "copy.gpbak")
    if damage is not None:
        damage(Path(damaged))
    # The county carries on after the backup: the restore would lose this, and must not happen.
    db = open_database(data_dir)
    with db.write() as session:
        session.add(School(name="后来新增的学校", county_code="522727"))
    db.dispose()
    before = _fingerprint(data_dir)

    password = "wrong password" if damage is None else PASSWORD
    with pytest.raises(refusal) as refused:
        backup.restore_backup(Path(damaged), password, data_dir)

    assert _fingerprint(data_dir) == before
    assert "没有" in str(refused.value)  # says that nothing was restored or changed


def test_header_can_be_read_without_the_password_but_not_the_data(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    made = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW).path
    facts = read_header(made).facts
    assert (facts.county_code, facts.county_name, facts.reason) == ("522727", "平塘县", "manual")
    assert facts.integrity == "ok" and facts.plaintext_size == (data_dir / DB_FILENAME).stat().st_size
    assert facts.created_at.replace(tzinfo=None) == NOW and facts.created_at.tzinfo is not None
    engine = create_sqlite_engine(tmp_path / "x.sqlite3")
    assert facts.schema_revision == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert "克度镇".encode() not in made.read_bytes()  # the data are encrypted
    assert backup.verify_backup(made, password=PASSWORD) == facts
    with pytest.raises(BackupPasswordError):
        backup.verify_backup(made, password="another password")


# --------------------------------------------------------------------------------- restore, upgrade


def test_restore_keeps_the_current_database_aside_and_upgrades_an_older_schema(tmp_path):
    data_dir = _county(tmp_path / "county", schools=2)
    engine = create_sqlite_engine(data_dir / DB_FILENAME)
    command.downgrade(alembic_config(engine), "0003")
    engine.dispose()
    backup.set_backup_password(data_dir, PASSWORD)
    # Months ago: the backup taken before the upgrade (dated now) must not rotate it away.
    taken = dt.datetime(2026, 6, 1, 6, 30)
    old = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=taken)
    assert read_header(old.path).facts.schema_revision == "0003"

    # The county works on (opening upgrades it) and adds a school that never reaches the province.
    db = open_database(data_dir)
    with db.read() as session:
        unsynced_in_backup = backup_service.unsynced_changes(session)
    with db.write() as session:
        session.add(School(name="备份之后新增的学校", county_code="522727"))
    with db.read() as session:
        unsynced = backup_service.unsynced_changes(session)
    db.dispose()
    current = _fingerprint(data_dir)[DB_FILENAME]

    outcome = backup.restore_backup(old.path, PASSWORD, data_dir, now=NOW)

    assert [path.name for path in outcome.set_aside] == [f"{DB_FILENAME}.replaced-20261202-063000"]
    assert hashlib.sha256(outcome.set_aside[0].read_bytes()).hexdigest() == current
    # Changes still waiting in the backup's own outbox are not lost: they go out from the restored one.
    assert unsynced_in_backup == 2 and unsynced == 3
    assert outcome.lost_unsynced_changes == 1
    assert outcome.backup_created_at.replace(tzinfo=None) == taken
    assert outcome.safety_backup is not None and outcome.safety_backup.exists()
    assert read_header(outcome.safety_backup).facts.reason == backup.REASON_RESTORE
    assert old.path.exists()  # the safety backup does not rotate away the one being restored
    assert not outcome.key_stored
    db = open_database(data_dir)
    try:
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        with db.read() as session:
            names = set(session.scalars(select(School.name)))
    finally:
        db.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    assert len(names) == 2 and "备份之后新增的学校" not in names
    assert _partials(data_dir) == []


def test_opening_an_older_schema_takes_a_backup_first(tmp_path):
    data_dir = _county(tmp_path / "county")
    engine = create_sqlite_engine(data_dir / DB_FILENAME)
    command.downgrade(alembic_config(engine), "0004")
    engine.dispose()

    open_database(data_dir).dispose()  # no backup password: a plain, verified online copy
    plain = list(backup.backups_dir(data_dir).glob("before-upgrade-*.sqlite3"))
    assert len(plain) == 1 and integrity_check(plain[0]) == "ok"
    with sqlite3.connect(plain[0]) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0004",)
    open_database(data_dir).dispose()  # at head now: no second copy
    assert len(list(backup.backups_dir(data_dir).iterdir())) == 1

    engine = create_sqlite_engine(data_dir / DB_FILENAME)
    command.downgrade(alembic_config(engine), "0004")
    engine.dispose()
    backup.set_backup_password(data_dir, PASSWORD)
    open_database(data_dir).dispose()  # with a password: an encrypted backup
    [sealed] = backup.list_backups(backup.backups_dir(data_dir))
    assert (sealed.reason, sealed.schema_revision, sealed.verified) == ("upgrade", "0004", True)


# ------------------------------------------------------------------------------------------- index


def test_a_flipped_bit_in_an_index_fails_integrity_check_but_not_quick_check(tmp_path):
    path = tmp_path / "index.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, label TEXT)")
        connection.executemany(
            "INSERT INTO people (label) VALUES (?)", [(f"value-{n * 10:04d}",) for n in range(50)]
        )
        connection.execute("CREATE INDEX people_label ON people (label)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root_sql = "SELECT rootpage FROM sqlite_master WHERE name = 'people_label'"
        root = connection.execute(root_sql).fetchone()[0]
    connection.close()
    data = bytearray(path.read_bytes())
    page = slice((root - 1) * page_size, root * page_size)
    # "value-0200" → "value-0201" in the index only: still in order, so the b-tree itself is sound.
    at = (root - 1) * page_size + bytes(data[page]).index(b"value-0200") + len("value-020")
    data[at] ^= 0x01
    path.write_bytes(bytes(data))

    assert quick_check(path) == "ok"
    assert integrity_check(path) != "ok"


# ------------------------------------------------------------------------------------ second folder


def test_a_missing_second_folder_gives_a_message_and_the_backup_still_counts(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    usb = tmp_path / "U盘" / "国培备份"  # not plugged in
    outcome = backup.create_backup(data_dir, reason=backup.REASON_DAILY, extra_folders=[usb], now=NOW)
    assert outcome.path.exists()
    assert outcome.copies[0].path is None
    assert outcome.messages == [outcome.copies[0].problem]
    assert str(usb) in outcome.messages[0] and "不存在" in outcome.messages[0]
    assert not usb.exists()  # never created: on an unplugged stick's mount point it would be wrong


def test_second_folder_gets_a_verified_copy_and_its_own_rotation(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "说明.txt").write_text("别删", encoding="utf-8")
    for day in range(10):
        outcome = backup.create_backup(
            data_dir, reason=backup.REASON_DAILY, extra_folders=[usb], now=NOW + dt.timedelta(days=day)
        )
    assert outcome.copies[0].path == usb / outcome.path.name
    assert outcome.copies[0].path.read_bytes() == outcome.path.read_bytes()
    assert backup.verify_backup(outcome.copies[0].path, password=PASSWORD).county_code == "522727"
    in_usb = sorted(path.name for path in usb.glob("*.gpbak"))
    assert in_usb == sorted(path.name for path in outcome.path.parent.glob("*.gpbak"))
    # 2 … 11 December: the 7 newest days; their weeks and month add nothing older.
    assert in_usb[0] == "guopei-522727-20261205-063000.gpbak" and len(in_usb) == 7
    assert (usb / "说明.txt").exists()


# --------------------------------------------------------------------------------- storage failures


def test_backups_folder_that_is_a_file_names_the_folder_and_leaves_nothing(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    folder = backup.backups_dir(data_dir)
    folder.write_text("不是文件夹")
    with pytest.raises(BackupStorageFailure) as failure:
        backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW)
    assert failure.value.cause == "missing"
    assert str(folder) in str(failure.value) and "文件夹" in str(failure.value)
    assert folder.read_text() == "不是文件夹"
    assert _partials(data_dir) == []


def test_second_folder_refusing_writes_is_a_message_not_an_error(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    refusing = Path("/sys/kernel")  # exists, and refuses new files even to root
    if not refusing.is_dir():
        pytest.skip("no /sys on this system")
    outcome = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, extra_folders=[refusing], now=NOW)
    assert outcome.path.exists()
    [problem] = outcome.messages
    assert str(refusing) in problem and "只读" in problem
    assert not any(path.name.endswith(backup.PARTIAL) for path in refusing.iterdir())


def test_disk_full_names_the_cause_and_the_folder_and_leaves_nothing(tmp_path, tiny_mount):
    data_dir = _county(tmp_path / "county", padding=2 * backup.CHUNK_SIZE)
    backup.set_backup_password(data_dir, PASSWORD)
    folder = backup.backups_dir(data_dir)
    tiny_mount(folder, "size=256k")
    with pytest.raises(BackupStorageFailure) as failure:
        backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW)
    assert failure.value.cause == "disk_full"
    assert "磁盘空间已满" in str(failure.value) and str(folder) in str(failure.value)
    assert list(folder.iterdir()) == []


def test_read_only_folder_names_the_cause_and_the_folder(tmp_path, tiny_mount):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    folder = backup.backups_dir(data_dir)
    tiny_mount(folder, "ro,size=1m")
    with pytest.raises(BackupStorageFailure) as failure:
        backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW)
    assert failure.value.cause == "read_only"
    assert "只读" in str(failure.value) and str(folder) in str(failure.value)


def test_locked_files_and_windows_sharing_violations_are_told_apart():
    busy = storage_cause(OSError(errno.EBUSY, "Device or resource busy"))
    assert busy is not None and busy[0] == "locked" and "占用" in busy[1]
    sharing = OSError(errno.EACCES, "The process cannot access the file")
    sharing.winerror = 32  # what Windows sets on ERROR_SHARING_VIOLATION
    assert storage_cause(sharing)[0] == "locked"
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13
    assert storage_cause(full)[0] == "disk_full"
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorcode = 11
    assert storage_cause(corrupt) is None  # damage is not a storage problem


def test_leftover_partial_files_are_removed_by_the_next_backup(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    folder = backup.backups_dir(data_dir)
    folder.mkdir()
    stale = folder / f".backup-dead{backup.SUFFIX}{backup.PARTIAL}"
    running = folder / f".backup-live{backup.SUFFIX}{backup.PARTIAL}"
    stale.write_bytes(b"half a backup")
    running.write_bytes(b"another program's backup under way")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW)
    assert not stale.exists()
    assert running.exists()
    assert [info.path.name for info in backup.list_backups(folder)] == ["guopei-522727-20261202-063000.gpbak"]


# ------------------------------------------------------------------------------------------ rotation


def test_rotation_on_real_files_keeps_the_promised_backups_and_nothing_else_is_touched(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    folder = backup.backups_dir(data_dir)
    folder.mkdir()
    other_county = folder / "guopei-522728-20200101-080000.gpbak"
    other_county.write_bytes(b"another county's backup")
    notes = folder / "notes.txt"
    notes.write_text("keep me")
    first = dt.datetime(2026, 1, 1, 17, 0)
    for day in range(0, 90, 2):  # every other day, 1 January … 30 March 2026 (a Monday)
        backup.create_backup(data_dir, reason=backup.REASON_DAILY, now=first + dt.timedelta(days=day))
    ours = sorted(path.name for path in folder.glob("guopei-522727-*.gpbak"))
    # The 7 newest days: 18 … 30 March. The newest of the 4 newest ISO weeks: 30, 28, 22 and 14 March
    # (14 is new). The newest of each month: 30 March, 28 February, 31 January (two new).
    days = ["0131", "0228", "0314", "0318", "0320", "0322", "0324", "0326", "0328", "0330"]
    assert ours == [f"guopei-522727-2026{day}-170000.gpbak" for day in days]
    assert other_county.exists() and notes.exists()


# ------------------------------------------------------------------------------------------- listing


def test_list_backups_newest_first_from_headers_with_damaged_files_listed_as_such(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    older = backup.create_backup(data_dir, reason=backup.REASON_DAILY, now=NOW - dt.timedelta(days=3))
    newer = backup.create_backup(data_dir, reason=backup.REASON_CLOSE, now=NOW)
    folder = backup.backups_dir(data_dir)
    (folder / "照片.gpbak").write_bytes(b"\xff\xd8\xff\xe0 not a backup")
    broken = folder / "guopei-522727-20261201-120000.gpbak"
    broken.write_bytes(newer.path.read_bytes()[:30])  # cut inside the header

    listed = backup.list_backups(folder)

    good = [info for info in listed if info.problem is None]
    assert [info.path for info in good] == [newer.path, older.path]
    assert [info.reason_label for info in good] == ["关闭程序时", "每日自动"]
    assert all(info.verified and info.county_name == "平塘县" for info in good)
    assert good[0].size == newer.path.stat().st_size
    problems = {info.path.name: info.problem for info in listed if info.problem is not None}
    assert problems == {"照片.gpbak": "不是国培桌面端的备份文件", broken.name: "文件头无法读取（已损坏）"}
    assert backup.list_backups(tmp_path / "nowhere") == []


# ------------------------------------------------------------------------------------------ password


def test_backup_password_is_set_once_and_changed_only_with_the_current_one(tmp_path):
    data_dir = _county(tmp_path / "county")
    with pytest.raises(BackupPasswordError, match="至少需要 8 个字符"):
        backup.set_backup_password(data_dir, "1234567")
    backup.set_backup_password(data_dir, PASSWORD)
    key_file = data_dir / backup.KEY_FILENAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert PASSWORD not in key_file.read_text() and "password" not in json.loads(key_file.read_text())
    first = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW).path

    with pytest.raises(BackupPasswordError, match="需要先输入当前"):
        backup.set_backup_password(data_dir, "新的备份密码一二三")
    with pytest.raises(BackupPasswordError, match="当前备份密码不正确"):
        backup.set_backup_password(data_dir, "新的备份密码一二三", current_password="not the one")
    backup.set_backup_password(data_dir, "新的备份密码一二三", current_password=PASSWORD)
    second = backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW + dt.timedelta(days=1)).path

    assert backup.verify_backup(first, password=PASSWORD)  # older backups keep their password
    assert backup.verify_backup(second, password="新的备份密码一二三")
    with pytest.raises(BackupPasswordError):
        backup.verify_backup(second, password=PASSWORD)


def test_no_backup_password_means_no_encrypted_backup(tmp_path):
    from desktop.errors import BackupNotConfigured

    data_dir = _county(tmp_path / "county")
    with pytest.raises(BackupNotConfigured, match="backup-password"):
        backup.create_backup(data_dir, reason=backup.REASON_MANUAL)
    assert not backup.backups_dir(data_dir).exists()


# ------------------------------------------------------------------------------------- daily backup


def test_first_write_of_the_day_starts_one_backup_and_later_writes_start_none(tmp_path):
    data_dir = _county(tmp_path / "county")
    now = [NOW]
    done: list[object] = []
    db = open_database(data_dir)
    try:
        daily = backup_service.start_automatic_backups(db, on_done=done.append, clock=lambda: now[0])
        with db.write() as session:
            session.add(School(name="没有密码时", county_code="522727"))
        assert daily.thread is None  # no backup password: nothing to do

        backup.set_backup_password(data_dir, PASSWORD)
        for number in range(5):
            with db.write() as session:
                session.add(School(name=f"签到{number}", county_code="522727"))
        first_thread = daily.thread
        daily.wait()
        assert first_thread is not None and len(done) == 1
        assert isinstance(done[0], backup.BackupOutcome) and done[0].reason == backup.REASON_DAILY

        with db.write() as session:
            session.add(School(name="同一天", county_code="522727"))
        assert daily.thread is first_thread

        now[0] = NOW + dt.timedelta(days=1)
        with db.write() as session:
            session.add(School(name="第二天", county_code="522727"))
        daily.wait()
        assert daily.thread is not first_thread and len(done) == 2
        closing = backup_service.backup_on_close(db, daily, now=now[0] + dt.timedelta(hours=10))
        assert closing is not None and closing.reason == backup.REASON_CLOSE
    finally:
        db.dispose()
    listed = backup.list_backups(backup.backups_dir(data_dir))
    # The evening's backup on closing replaces that day's daily one; the day before keeps its own.
    assert [(info.reason, info.created_at.day) for info in listed] == [("close", 3), ("daily", 2)]


def test_no_daily_backup_when_one_was_already_taken_today(tmp_path):
    data_dir = _county(tmp_path / "county")
    backup.set_backup_password(data_dir, PASSWORD)
    backup.create_backup(data_dir, reason=backup.REASON_MANUAL, now=NOW)
    daily = backup.DailyBackup(data_dir, clock=lambda: NOW + dt.timedelta(hours=2))
    daily.note_write()
    assert daily.thread is None


# -------------------------------------------------------------------------------- settings, weekly


def test_second_folder_setting_round_trips(empty_db, tmp_path):
    with empty_db.write() as session:
        assert backup_service.backup_settings(session).second_folder is None
        backup_service.set_second_folder(session, tmp_path / "usb")
    with empty_db.read() as session:
        assert backup_service.backup_settings(session).second_folder == tmp_path / "usb"
    with empty_db.write() as session:
        backup_service.set_second_folder(session, None)
    with empty_db.read() as session:
        assert backup_service.backup_settings(session).second_folder is None


def test_take_backup_copies_to_the_configured_second_folder(empty_db, tmp_path):
    data_dir = empty_db.path.parent
    backup.set_backup_password(data_dir, PASSWORD)
    usb = tmp_path / "usb"
    usb.mkdir()
    with empty_db.write() as session:
        backup_service.set_second_folder(session, usb)
    outcome = backup_service.take_backup(empty_db, extra_folder=tmp_path / "share")
    assert [copy.folder for copy in outcome.copies] == [usb, tmp_path / "share"]
    assert (usb / outcome.path.name).exists()
    assert len(outcome.messages) == 1 and str(tmp_path / "share") in outcome.messages[0]


def test_weekly_integrity_check_runs_when_due_and_records_when(empty_db):
    monday = dt.datetime(2026, 11, 30, 8, 0)
    assert backup_service.weekly_integrity_check(empty_db, now=monday) == "ok"
    assert backup_service.weekly_integrity_check(empty_db, now=monday + dt.timedelta(days=6)) is None
    with empty_db.read() as session:
        recorded = session.get(Setting, backup_service.INTEGRITY_SETTING).value
        assert recorded == {"at": "2026-11-30T08:00:00", "result": "ok"}
        assert backup_service.integrity_check_due(session, now=monday + dt.timedelta(days=7))
        # A clock that was set years ahead when it last ran must not put the check off for years.
        assert not backup_service.integrity_check_due(session, now=monday + dt.timedelta(hours=1))
        assert backup_service.integrity_check_due(session, now=monday - dt.timedelta(days=2))
    assert backup_service.weekly_integrity_check(empty_db, now=monday + dt.timedelta(days=7)) == "ok"
