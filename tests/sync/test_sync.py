"""End to end: a real server in a subprocess, real county databases, the real client over HTTP."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from desktop.db.base import Base
from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import OutboxEntry, School, Teacher
from desktop.db.outbox import insert_synced_rows
from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME, build_demo_county
from desktop.sync.client import NotConnected, RejectedOp, ServerRefused, SyncClient, register
from guopei_common.protocol import (
    ENTITIES,
    MAX_COMPRESSED_BYTES,
    MAX_DECOMPRESSED_BYTES,
    PROTOCOL_HEADER,
    PushBatch,
    PushOp,
    payload_hash,
)
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import OTHER_COUNTY, Server, as_real_county


@pytest.fixture(scope="module")
def device_a(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    data_dir = tmp_path_factory.mktemp("a") / "county"
    build_demo_county(data_dir, teachers=50, today=DEMO_TODAY)  # the smallest demo: ~7,000 ops
    db = as_real_county(open_database(data_dir))
    yield SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)))
    db.dispose()


def _empty_device(server: Server, directory: Path, county: str) -> SyncClient:
    db = create_database(directory, county_code=county, county_name="测试县")
    return SyncClient(db, server.url, register(db, server.url, server.code(county)))


@pytest.fixture(scope="module")
def device_b(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    client = _empty_device(server, tmp_path_factory.mktemp("b") / "county", COUNTY_CODE)
    yield client
    client.db.dispose()


@pytest.fixture(scope="module")
def device_c(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    client = _empty_device(server, tmp_path_factory.mktemp("c") / "county", OTHER_COUNTY)
    yield client
    client.db.dispose()


def _outbox(db: Database) -> dict[str, str]:
    with db.read() as session:
        return {
            op_id: payload
            for op_id, payload in session.execute(select(OutboxEntry.op_id, OutboxEntry.payload))
        }


def _outbox_row(op: RejectedOp) -> dict[str, object]:
    return {
        "op_id": op.op_id,
        "entity": op.entity,
        "row_id": op.row_id,
        "hlc": op.payload["hlc"],
        "payload": json.dumps(op.payload, ensure_ascii=False),
    }


def _table(db: Database, entity: str) -> dict[str, tuple]:
    model = next(
        m.class_ for m in Base.registry.mappers if getattr(m.class_, "__sync_entity__", "") == entity
    )
    with db.read() as session:
        return {row.id: tuple(row) for row in session.execute(select(model.__table__))}


def test_protocol_lists_every_synced_model() -> None:
    synced = {m.class_.__sync_entity__ for m in Base.registry.mappers if hasattr(m.class_, "__sync_entity__")}
    assert synced == ENTITIES


def test_push_applies_every_op_exactly_once(server: Server, device_a: SyncClient) -> None:
    outbox = _outbox(device_a.db)
    rows_before, ops_before, _ = server.counts()
    saved, _ = device_a.next_batch()
    # The server applies this batch but its answer is "lost": the outbox keeps every op.
    first = device_a.send_batch(saved)
    assert {r.outcome for r in first.results} == {"applied"}

    summary = device_a.push()

    assert summary.duplicate == len(saved.ops)
    assert summary.applied == len(outbox) - len(saved.ops)
    assert summary.rejected == [] and summary.conflicts == [] and summary.unsettled == 0
    assert _outbox(device_a.db) == {}
    server_ops = dict(server.query("SELECT op_id, device_id FROM applied_ops"))
    assert set(outbox) <= set(server_ops) and len(server_ops) == ops_before + len(outbox)
    rows, _, counter = server.counts()
    assert rows - rows_before == len(outbox)  # the demo writes each row once
    assert counter == rows  # one sequence number per stored row version, no gaps

    again = device_a.send_batch(saved)
    assert {r.outcome for r in again.results} == {"duplicate"}
    assert server.counts() == (rows, len(server_ops), counter)


def test_op_id_reused_for_other_content_is_rejected(server: Server, device_a: SyncClient) -> None:
    assert device_a.next_batch() is None  # everything was pushed
    with device_a.db.read() as session:
        teacher = session.scalars(select(Teacher).limit(1)).one()
    stored = json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{teacher.id}'")[0][0])
    payload = {**stored, "phone": "13900000000"}
    before = server.counts()
    batch = PushBatch(
        batch_id=str(uuid.uuid4()),
        device_id=device_a.db.device.device_id,
        ops=[PushOp.build(_op_of_row(server, teacher.id), "teacher", teacher.id, payload["hlc"], payload)],
    )
    [result] = device_a.send_batch(batch).results
    assert result.outcome == "rejected"
    assert server.counts() == before
    assert json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{teacher.id}'")[0][0]) == stored


def _op_of_row(server: Server, row_id: str) -> str:
    # applied_ops does not store row ids, but the demo wrote one op per row: its hash is the hash of
    # the stored payload.
    stored = json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{row_id}'")[0][0])
    return server.query(f"SELECT op_id FROM applied_ops WHERE payload_hash = '{payload_hash(stored)}'")[0][0]


def test_older_write_is_a_conflict_with_the_server_row(server: Server, device_a: SyncClient) -> None:
    with device_a.db.read() as session:
        teacher = session.scalars(select(Teacher).limit(1)).one()
    stale_hlc = f"{1:015d}-00000-{device_a.db.device.device_id}"
    stored = json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{teacher.id}'")[0][0])
    payload = {**stored, "hlc": stale_hlc, "phone": "13700000000"}
    batch = PushBatch(
        batch_id=str(uuid.uuid4()),
        device_id=device_a.db.device.device_id,
        ops=[PushOp.build(str(uuid.uuid4()), "teacher", teacher.id, stale_hlc, payload)],
    )
    [result] = device_a.send_batch(batch).results
    assert result.outcome == "conflict"
    assert result.server_row == stored


def test_second_device_of_the_county_pulls_the_same_rows(device_a: SyncClient, device_b: SyncClient) -> None:
    pulled = device_b.pull()

    assert pulled == sum(len(_table(device_a.db, entity)) for entity in ENTITIES)
    for entity in ENTITIES:
        assert _table(device_b.db, entity) == _table(device_a.db, entity), entity
    assert len(_table(device_b.db, "teacher")) == 50
    assert _outbox(device_b.db) == {}  # pulled rows never echo back
    assert device_b.pull() == 0

    # An edit on B travels to A; A skips its own changes in the feed.
    teacher_id = next(iter(_table(device_b.db, "teacher")))
    with device_b.db.write() as session:
        session.get_one(Teacher, teacher_id).phone = "13600000000"
    summary = device_b.push()
    assert summary.applied == 1 and _outbox(device_b.db) == {}
    assert device_a.pull() == 1
    with device_a.db.read() as session:
        assert session.get_one(Teacher, teacher_id).phone == "13600000000"
    assert _outbox(device_a.db) == {}
    assert device_a.cursor() == device_b.cursor() + 1


def test_another_county_sees_and_touches_nothing(
    server: Server, device_a: SyncClient, device_c: SyncClient
) -> None:
    assert device_c.pull() == 0
    assert device_c.cursor() == 0
    teacher_id = next(iter(_table(device_a.db, "teacher")))
    stored = json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{teacher_id}'")[0][0])
    hlc = f"{10**14:015d}-00000-{device_c.db.device.device_id}"
    payload = {**stored, "hlc": hlc, "origin": device_c.db.device.device_id, "name": "冒名"}
    batch = PushBatch(
        batch_id=str(uuid.uuid4()),
        device_id=device_c.db.device.device_id,
        ops=[PushOp.build(str(uuid.uuid4()), "teacher", teacher_id, hlc, payload)],
    )
    [result] = device_c.send_batch(batch).results
    assert result.outcome == "rejected"
    assert json.loads(server.query(f"SELECT payload FROM rows WHERE row_id = '{teacher_id}'")[0][0]) == stored
    # Through the client: the rejected op leaves the outbox but stays visible to a person. (A school of
    # its own whose name is longer than the province takes: under county A's school id, it would be the
    # county's own new row, as under any id; row ids name rows only within a county.)
    school = dict(
        zip(School.__table__.columns.keys(), next(iter(_table(device_a.db, "school").values())), strict=True)
    )
    school.update(id=str(uuid.uuid4()), name="校" * 101, county_code=device_c.db.device.county_code)
    with device_c.db.write() as session:
        insert_synced_rows(session, School, [{k: v for k, v in school.items() if k not in ("hlc", "origin")}])
    summary = device_c.push()
    assert [op.row_id for op in summary.rejected] == [school["id"]]
    assert _outbox(device_c.db) == {}
    assert [op.row_id for op in device_c.rejected_ops()] == [school["id"]]
    # Its first answer lost, a re-sent rejected op is still reported as rejected, not just "duplicate".
    with device_c.db.write() as session:
        session.add(OutboxEntry(**{**_outbox_row(summary.rejected[0]), "created_at": dt.datetime.now()}))
    again = device_c.push()
    assert again.duplicate == 1 and [op.op_id for op in again.rejected] == [summary.rejected[0].op_id]
    assert device_c.pull() == 0
    # A code of one county cannot register a database of another.
    with pytest.raises(ServerRefused) as refused:
        register(device_c.db, server.url, server.code(COUNTY_CODE))
    assert refused.value.status == 403


def test_registration_code_is_one_time(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server_cli(["issue-code", "--db", str(server.db_path), COUNTY_CODE]) == 0
    code = capsys.readouterr().out.strip()
    first = create_database(tmp_path / "d1", county_code=COUNTY_CODE, county_name=COUNTY_NAME)
    second = create_database(tmp_path / "d2", county_code=COUNTY_CODE, county_name=COUNTY_NAME)
    try:
        assert register(first, server.url, code.lower())  # typed by hand: case does not matter
        with pytest.raises(ServerRefused) as refused:
            register(second, server.url, code)
        assert refused.value.status == 403
    finally:
        first.dispose()
        second.dispose()


class _Portal(http.server.BaseHTTPRequestHandler):
    def _login_page(self) -> None:
        body = "<html><body>请登录校园网</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _login_page

    def log_message(self, *_args: object) -> None:
        pass


def test_captive_portal_means_not_connected(device_a: SyncClient) -> None:
    portal = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=portal.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{portal.server_address[1]}"
        client = SyncClient(device_a.db, url, device_a.token)
        cursor = device_a.cursor()
        with pytest.raises(NotConnected, match="未连接到省级平台"):
            client.pull()
        with pytest.raises(NotConnected):
            client.send_batch(PushBatch(batch_id=str(uuid.uuid4()), device_id="x", ops=[]))
        with pytest.raises(NotConnected):
            register(device_a.db, url, "ABCD-EFGH")
        assert device_a.cursor() == cursor
    finally:
        portal.shutdown()
        portal.server_close()


def _post_push(server: Server, token: str, body: bytes, **headers: str) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/push",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Encoding": "gzip", **headers},
        timeout=30,
    )


def test_bombs_and_oversized_bodies_are_refused(server: Server, device_a: SyncClient) -> None:
    before = server.counts()
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (1024 * 1024)
    bomb = b"".join(deflater.compress(zeros) for _ in range(MAX_DECOMPRESSED_BYTES // len(zeros) + 2))
    bomb += deflater.flush()
    assert len(bomb) < 1024 * 1024  # small on the wire, over the limit once inflated

    for body, status in [
        (bomb, 413),
        (os.urandom(MAX_COMPRESSED_BYTES + 1), 413),
        (b"not gzip at all", 400),
        (zlib.compress(b"[1, 2", wbits=31), 400),
    ]:
        response = _post_push(server, device_a.token, body)
        assert response.status_code == status
        assert response.headers[PROTOCOL_HEADER]

    assert _post_push(server, "wrong-token", bomb).status_code == 401
    assert server.counts() == before
