"""Back-pressure and repairs of the change feed, end to end: a real server subprocess (SQLite and
PostgreSQL), real county databases, the real SyncClient.

- registration attempts limited per address (429 + Retry-After) and a busy database answered 503;
- old tombstones purged, and a device whose cursor predates the purge re-reads a snapshot;
- the divergence check finds a damaged local copy and repairs it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, delete, select, text, update

from desktop.db.engine import create_database
from desktop.db.models import OutboxEntry, School, Setting
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import REJECTED_KEY, REPAIRS_KEY, SyncClient, register
from guopei_common.protocol import PROTOCOL_HEADER, gzip_encode
from server.cli import main as server_cli
from server.db import LOCK_TIMEOUT_ENV, database_url
from tests.sync.conftest import Server, serving


def _device(server: Server, directory: Path) -> SyncClient:
    db = create_database(directory, county_code=COUNTY_CODE, county_name="测试县")
    # Every sync checks for divergence here (the app checks every six hours).
    return SyncClient(
        db, server.url, register(db, server.url, server.code(COUNTY_CODE)), check_every=dt.timedelta(0)
    )


@pytest.fixture
def devices(server: Server, tmp_path: Path) -> Iterator[tuple[SyncClient, SyncClient]]:
    a, b = _device(server, tmp_path / "a"), _device(server, tmp_path / "b")
    # Start from the county's current state: other tests of this module wrote rows too.
    a.sync()
    b.sync()
    yield a, b
    a.db.dispose()
    b.db.dispose()


def _add_schools(client: SyncClient, *names: str) -> list[str]:
    with client.db.write() as session:
        schools = [School(name=name, county_code=COUNTY_CODE) for name in names]
        session.add_all(schools)
        session.flush()
        return [school.id for school in schools]


def _school(client: SyncClient, school_id: str) -> tuple[str, bool] | None:
    with client.db.read() as session:
        row = session.execute(select(School.hlc, School.deleted).where(School.id == school_id)).first()
    return None if row is None else (row.hlc, row.deleted)


def _execute(server: Server, sql: str) -> None:
    engine = create_engine(database_url(server.db))
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def test_failed_registrations_are_limited_per_address(server: Server) -> None:
    url = f"{server.url}/v1/register"

    def attempt(code: str) -> requests.Response:
        body = {"code": code, "device_id": str(uuid.uuid4()), "county_code": COUNTY_CODE}
        return requests.post(url, json=body, timeout=10)

    try:
        for _ in range(10):
            assert attempt("WRON-GCOD-EWRO-NGCO").status_code == 403
        refused = attempt("WRON-GCOD-EWRO-NGCO")
        assert refused.status_code == 429
        assert refused.headers[PROTOCOL_HEADER]
        assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
        assert "注册尝试失败次数过多" in refused.json()["detail"]
        # Blocked means blocked: a valid code is not even looked at, and is still unused afterwards.
        good = server.code(COUNTY_CODE)
        assert attempt(good).status_code == 429
        # The failures are rows (every server process sees them); once they age out, the code works.
        scopes = dict(server.query("SELECT scope, count(*) FROM registration_failures GROUP BY scope"))
        assert scopes == {"address": 10, "all": 10}
        _execute(server, "UPDATE registration_failures SET failed_at = '2000-01-01 00:00:00'")
        assert attempt(good).status_code == 200
    finally:
        _execute(server, "DELETE FROM registration_failures")


def test_a_busy_database_answers_503_with_retry_after(
    server: Server, devices: tuple[SyncClient, SyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = devices
    _add_schools(a, "繁忙测试学校")
    batch, _ = a.next_batch()
    body = gzip_encode(batch.model_dump(mode="json"))
    # A second server on the same database, waiting at most half a second for a lock.
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.5")
    with serving(server.db) as impatient:
        # Another writer holds the change counter (SQLite: the database's write lock).
        if server.backend == "sqlite":
            holder: sqlite3.Connection | psycopg.Connection = sqlite3.connect(server.db, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        else:
            holder = psycopg.connect(server.db.replace("postgresql+psycopg", "postgresql"))
            holder.execute("SELECT value FROM change_counter WHERE id = 1 FOR UPDATE")
        try:
            response = requests.post(
                f"{impatient}/v1/push",
                data=body,
                headers={"Authorization": f"Bearer {a.token}", "Content-Encoding": "gzip"},
                timeout=30,
            )
        finally:
            holder.rollback() if isinstance(holder, psycopg.Connection) else holder.execute("ROLLBACK")
            holder.close()
    assert response.status_code == 503
    assert response.headers[PROTOCOL_HEADER]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["detail"] == "服务器繁忙，请稍后再试"
    # Nothing was applied: the same batch goes through once the lock is gone.
    assert a.push().applied == 1


def test_a_purged_deletion_reaches_a_device_whose_cursor_predates_it(
    server: Server, devices: tuple[SyncClient, SyncClient], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = devices
    gone, kept = _add_schools(a, "将撤并的学校", "保留的学校")
    [mine] = _add_schools(b, "B 建的学校")
    a.sync()
    b.sync()
    a.sync()
    assert _school(b, gone) is not None and _school(a, mine) is not None
    stale_cursor = b.cursor()

    # A deletes one of its own rows and one of B's; the server then purges both tombstones.
    with a.db.write() as session:
        session.get_one(School, gone).deleted = True
        session.get_one(School, mine).deleted = True
    a.sync()
    purged_seq = max(server.query(f"SELECT seq FROM rows WHERE row_id IN ('{gone}', '{mine}')"))[0]
    capsys.readouterr()
    assert server_cli(["purge-tombstones", "--db", server.db, "--older-than-days", "0"]) == 0
    assert "共清理" in capsys.readouterr().out
    assert server.query(f"SELECT count(*) FROM rows WHERE row_id IN ('{gone}', '{mine}')") == [(0,)]
    assert server.query(f"SELECT horizon FROM feed_horizons WHERE county_code = '{COUNTY_CODE}'") == [
        (purged_seq,)
    ]

    # B's cursor is below the horizon: a clear refusal, never a silent gap.
    response = requests.get(
        f"{server.url}/v1/pull",
        params={"cursor": stale_cursor},
        headers={"Authorization": f"Bearer {b.token}"},
        timeout=10,
    )
    assert response.status_code == 410
    assert response.json()["code"] == "cursor_expired" and response.json()["horizon"] == purged_seq
    assert "需重新下载全部数据" in response.json()["detail"]
    # A pull from cursor 0 is never refused, whatever the horizon.
    assert requests.get(
        f"{server.url}/v1/pull",
        params={"cursor": 0},
        headers={"Authorization": f"Bearer {b.token}"},
        timeout=10,
    ).headers["X-Guopei-Horizon"] == str(purged_seq)

    # A school B has just created (still in its outbox) is absent from the snapshot, but stays.
    [pending] = _add_schools(b, "尚未上传的学校")
    pulled = b.pull()

    assert b.last_pull is not None and b.last_pull.snapshot
    assert b.last_pull.swept == 2 and pulled >= 2
    assert _school(b, gone)[1] is True  # pulled from A before, purged on the server: deleted here
    assert _school(b, mine)[1] is True  # B's own row, pushed and accepted, deleted by A: deleted here
    assert _school(b, kept)[1] is False
    assert _school(b, pending)[1] is False
    with b.db.read() as session:
        assert session.scalar(select(OutboxEntry.row_id)) == pending  # the sweep wrote no outbox op
        assert session.get(Setting, "sync.snapshot") is None
    assert b.cursor() == a.cursor()
    # From now on B's pulls are accepted again, and a sync finds both sides the same.
    b.sync()
    assert b.last_pull.check == "与省级平台一致"
    assert b.cursor() == server.query(f"SELECT max(seq) FROM rows WHERE county_code = '{COUNTY_CODE}'")[0][0]
    assert _school(b, pending)[1] is False


def test_divergence_is_detected_and_repaired(server: Server, devices: tuple[SyncClient, SyncClient]) -> None:
    a, b = devices
    tampered, dropped, refused = _add_schools(a, "被篡改的学校", "被误删的学校", "被拒绝修改的学校")
    a.sync()
    b.sync()
    assert a.last_pull.check == "与省级平台一致"
    server_hlc = _school(a, tampered)[0]

    # Behind the client's back: an older stamp on one row, another row gone (no outbox, no tombstone).
    with a.db.write() as session:
        connection = session.connection()
        connection.execute(update(School.__table__).where(School.id == tampered).values(hlc="0" * 15))
        connection.execute(delete(School.__table__).where(School.id == dropped))
    # And a local change the server refused (as push records it in sync.rejected): it stays here for a
    # person to review and must not count as a difference, or every sync would repair in vain.
    newer = f"{dt.datetime.now().timestamp() * 1000 + 60_000:015.0f}-00000-{a.db.device.device_id}"
    with a.db.write() as session:
        session.connection().execute(
            update(School.__table__).where(School.id == refused).values(name="本机改名", hlc=newer)
        )
        payload = {"id": refused, "hlc": newer, "origin": a.db.device.device_id, "name": "本机改名"}
        session.add(
            Setting(
                key=REJECTED_KEY,
                value=[
                    {
                        "op_id": str(uuid.uuid4()),
                        "entity": "school",
                        "row_id": refused,
                        "reason": "测试：省级平台拒绝",
                        "payload": payload,
                    }
                ],
            )
        )

    a.sync()

    assert a.last_pull.diverged == ["school"]
    assert a.last_pull.repaired >= 2
    assert "已重新下载修复" in a.last_pull.check
    assert _school(a, tampered) == (server_hlc, False)
    assert _school(a, dropped) is not None and _school(a, dropped)[1] is False
    with a.db.read() as session:
        assert session.get_one(School, refused).name == "本机改名"  # kept for a person to review
        repairs = session.get_one(Setting, REPAIRS_KEY).value
        assert session.scalar(select(OutboxEntry.op_id)) is None  # the repair pushed nothing back
    assert [entry["entities"] for entry in repairs] == [["school"]]

    # Repaired for good: the next sync finds nothing to do.
    a.sync()
    assert a.last_pull.check == "与省级平台一致"
    with a.db.read() as session:
        assert len(session.get_one(Setting, REPAIRS_KEY).value) == 1


def test_digest_needs_a_device_token(server: Server) -> None:
    assert requests.post(f"{server.url}/v1/digest", json={}, timeout=10).status_code == 401


def test_the_divergence_check_runs_at_most_every_six_hours(empty_db) -> None:
    from desktop.sync.client import DIGEST_CHECKED_KEY

    client = SyncClient(empty_db, "http://127.0.0.1:9", "token")
    assert client._divergence_check_due()
    assert not client._divergence_check_due()  # just checked
    with empty_db.write() as session:  # the PC's clock was set back below the last check: due again
        session.merge(Setting(key=DIGEST_CHECKED_KEY, value="2099-01-01T00:00:00"))
    assert client._divergence_check_due()
