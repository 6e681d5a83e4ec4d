"""The local database on a real SQLite file: pragmas, locking, the outbox hook, the clock, corruption."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from sqlalchemy import func, select, text

from desktop.db.engine import DB_FILENAME, create_database, open_database
from desktop.db.models import Device, OutboxEntry, School
from desktop.db.outbox import TombstoneRequired, insert_synced_rows
from desktop.domain.hlc import Hlc
from desktop.errors import DatabaseCorrupt, DatabaseNotInitialised


def add_school(db, name: str = "平塘县第一中学") -> str:
    with db.write() as session:
        school = School(name=name, county_code="522727", township="平舟镇")
        session.add(school)
        session.flush()
        return school.id


def test_connections_use_wal_foreign_keys_and_full_sync(empty_db):
    with empty_db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_write_session_takes_the_write_lock_before_any_statement(empty_db):
    other = sqlite3.connect(empty_db.path, timeout=0, isolation_level=None)
    with empty_db.write() as session:
        session.connection()  # begins the transaction; nothing written yet
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_read_session_leaves_writers_free(empty_db):
    other = sqlite3.connect(empty_db.path, timeout=0, isolation_level=None)
    with empty_db.read() as session:
        session.scalar(select(func.count()).select_from(School))
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_new_row_is_stamped_and_queued_in_the_outbox(empty_db):
    school_id = add_school(empty_db)
    with empty_db.read() as session:
        school = session.get(School, school_id)
        entry = session.scalars(select(OutboxEntry)).one()
    assert school.origin == empty_db.device.device_id
    assert Hlc.decode(school.hlc).node == empty_db.device.device_id
    assert (entry.entity, entry.row_id, entry.hlc) == ("school", school_id, school.hlc)
    payload = json.loads(entry.payload)
    assert payload["name"] == "平塘县第一中学"
    assert payload["deleted"] is False


def test_each_change_gets_a_later_stamp_and_its_own_outbox_row(empty_db):
    school_id = add_school(empty_db)
    with empty_db.write() as session:
        session.get(School, school_id).township = "牙舟镇"
    with empty_db.write() as session:
        session.get(School, school_id).deleted = True
    with empty_db.read() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        last_hlc = session.scalar(select(Device.last_hlc))
    assert [json.loads(e.payload)["township"] for e in entries] == ["平舟镇", "牙舟镇", "牙舟镇"]
    assert json.loads(entries[-1].payload)["deleted"] is True
    stamps = [e.hlc for e in entries]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert last_hlc == stamps[-1]


def test_unchanged_object_writes_no_outbox_row(empty_db):
    school_id = add_school(empty_db)
    with empty_db.write() as session:
        school = session.get(School, school_id)
        school.township = school.township  # same value: not a change
    with empty_db.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 1


def test_failed_transaction_leaves_neither_row_nor_outbox_entry(empty_db):
    with pytest.raises(RuntimeError), empty_db.write() as session:
        session.add(School(name="不会保存的学校", county_code="522727"))
        session.flush()
        raise RuntimeError("crash after the flush")
    with empty_db.read() as session:
        assert session.scalar(select(func.count()).select_from(School)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_synced_rows_cannot_be_deleted_only_tombstoned(empty_db):
    school_id = add_school(empty_db)
    with pytest.raises(TombstoneRequired), empty_db.write() as session:
        session.delete(session.get(School, school_id))
        session.flush()


def test_bulk_insert_stamps_rows_and_fills_defaults(empty_db):
    rows = [{"name": f"学校{i}", "county_code": "522727"} for i in range(3)]
    with empty_db.write() as session:
        insert_synced_rows(session, School, rows)
    with empty_db.read() as session:
        schools = session.scalars(select(School).order_by(School.name)).all()
        entries = session.scalars(select(OutboxEntry)).all()
    assert [s.name for s in schools] == ["学校0", "学校1", "学校2"]
    assert all(s.hlc and s.origin == empty_db.device.device_id and s.deleted is False for s in schools)
    assert {e.row_id for e in entries} == {s.id for s in schools}
    assert all(json.loads(e.payload)["is_rural"] is False for e in entries)


def test_bulk_update_stamps_rows_and_queues_what_a_flush_would(empty_db):
    """update_synced_rows (the yearly re-import) writes what an ORM edit writes: derived columns, a new
    stamp, the whole row as payload and the changed columns with the values they had."""
    from desktop.db.models import Teacher
    from desktop.db.outbox import update_synced_rows

    school_id = add_school(empty_db)
    born = {"birth_date": dt.date(1949, 12, 31)}
    with empty_db.write() as session:
        insert_synced_rows(
            session,
            Teacher,
            [
                {
                    "name": "张三",
                    "id_number": "11010519491231002X",
                    "gender": "male",
                    **born,
                    "school_id": school_id,
                },
                {
                    "name": "李四",
                    "id_number": "110105194912310021",
                    "gender": "male",
                    **born,
                    "school_id": school_id,
                },
            ],
        )
    with empty_db.read() as session:
        before = {t.name: (t.id, t.hlc) for t in session.scalars(select(Teacher))}
        queued = session.scalar(select(func.count()).select_from(OutboxEntry))
    zhang, li = before["张三"][0], before["李四"][0]
    with empty_db.write() as session:
        update_synced_rows(
            session, Teacher, {zhang: {"name": "曾三", "phone": "13800000000"}, li: {"name": "李四"}}
        )
    with empty_db.read() as session:
        renamed = session.get_one(Teacher, zhang)
        unchanged = session.get_one(Teacher, li)
        entries = session.scalars(select(OutboxEntry).where(OutboxEntry.seq > queued)).all()
    assert (renamed.name, renamed.name_initials, renamed.phone) == ("曾三", "zs", "13800000000")
    assert renamed.hlc > before["张三"][1] and unchanged.hlc == before["李四"][1]  # nothing to change
    assert [entry.row_id for entry in entries] == [zhang]
    payload, changed = json.loads(entries[0].payload), json.loads(entries[0].changed)
    assert payload["name"] == "曾三" and payload["hlc"] == renamed.hlc and payload["name_pinyin"] == "zengsan"
    assert changed["name"] == "张三" and changed["phone"] == "" and "hlc" not in changed


def test_clock_resumes_above_stored_stamps_after_restart(tmp_path):
    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    first = add_school(db)
    with db.read() as session:
        first_hlc = session.get(School, first).hlc
    db.dispose()
    # Reopen with the PC's clock set ten years back: new stamps must still sort after the old ones.
    reopened = open_database(tmp_path, wall_ms=lambda: 0)  # the Unix epoch: a flat CMOS battery
    second = add_school(reopened, "第二所")
    with reopened.read() as session:
        assert session.get(School, second).hlc > first_hlc
    reopened.dispose()


def test_missing_database_is_reported(tmp_path):
    with pytest.raises(DatabaseNotInitialised, match="init --county"):
        open_database(tmp_path)


def test_a_cleanly_closed_county_opens_without_reading_the_whole_file(tmp_path, monkeypatch):
    from desktop.db import engine

    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    add_school(db)
    db.dispose()
    checked = []
    real_check = engine.quick_check
    monkeypatch.setattr(engine, "quick_check", lambda path: checked.append(path) or real_check(path))
    db = open_database(tmp_path)
    assert checked == []  # closed cleanly and unchanged since
    add_school(db, "平塘县第二中学")  # then the program is killed: no dispose, the -wal file stays
    open_database(tmp_path).dispose()
    assert checked == [tmp_path / DB_FILENAME]  # after a crash the quick check runs before the window
    db.dispose()  # the last connection closes: the file is clean again
    open_database(tmp_path).dispose()
    assert len(checked) == 1


def test_corrupt_database_is_refused_not_used(tmp_path):
    db = create_database(tmp_path, county_code="522727", county_name="平塘县")
    for i in range(200):
        add_school(db, f"学校{i}")
    db.dispose()
    path = tmp_path / DB_FILENAME
    data = bytearray(path.read_bytes())
    # Overwrite the middle pages (table b-trees) with garbage, keeping the header readable.
    data[4096 * 2 : 4096 * 6] = b"\xde\xad\xbe\xef" * 4096
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt) as caught:
        open_database(tmp_path)
    assert "数据库文件已损坏" in str(caught.value)
