"""Kill -9 proofs: sync loses nothing and doubles nothing when either end dies at any moment.

The client is killed in a child process (as the OS kills a frozen app or a PC loses power, minus the
disk), the server is killed as a subprocess; neither gets to run a handler, roll back or flush.
Afterwards every op pushed is on the server exactly once: `applied_ops` holds each op id once with a
final outcome, the change counter moved once per op (a re-applied op would move it again), the
server's rows equal the county's rows, the outbox is empty, and every SQLite file passes
`PRAGMA integrity_check`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import Attendance, OutboxEntry, Teacher
from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME, build_demo_county
from desktop.sync.client import SyncClient, SyncError, register
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import Server, as_real_county, free_port
from tests.sync.proofs import (
    REPO,
    Query,
    ServerProcess,
    device_dump,
    integrity,
    issue_code,
    outbox_ops,
    server_dump,
    sqlite_query,
)

# The child is a whole new interpreter, like the real app: imports, opens the database (its integrity
# check and migrations), then pushes. It says "ready" first so that the kill lands in the push rather
# than in the imports.
CHILD = """
import os, sys
from pathlib import Path
from desktop.db.engine import open_database
from desktop.sync.client import SyncClient
db = open_database(Path(sys.argv[1]))
client = SyncClient(db, sys.argv[2], os.environ["GUOPEI_TEST_TOKEN"], batch_size=int(sys.argv[3]))
print("ready", flush=True)
client.push()
print("done", flush=True)
"""

CLIENT_KILLS = 16
SERVER_KILLS = 8
# Small and varied: with ~6,800 ops, kills land before the first batch is sent, while a batch is on the
# wire or being applied, between the server's answer and the outbox delete, and between batches.
BATCH_SIZES = (1, 7, 20, 60)


def _edit(db: Database, rng: random.Random, round_: int, count: int) -> set[str]:
    """Change some attendance rows and a teacher (tombstones included), as a person at the door would;
    returns the op ids written, read inside the same transaction so a concurrent push cannot hide one."""
    with db.write() as session:
        before = session.scalar(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc()).limit(1)) or 0
        ids = list(session.scalars(select(Attendance.id)))
        for attendance_id in rng.sample(ids, count):
            row = session.get_one(Attendance, attendance_id)
            row.note = f"第{round_}轮"
            row.deleted = rng.random() < 0.1
        teacher = session.scalars(select(Teacher).order_by(Teacher.id).offset(round_ % 40).limit(1)).one()
        teacher.phone = f"139{round_:08d}"
        session.flush()
        return set(session.scalars(select(OutboxEntry.op_id).where(OutboxEntry.seq > before)))


def _assert_exactly_once(
    db: Database, query: Query, all_ops: set[str], counter_before: int, *, counters: bool = True
) -> None:
    assert outbox_ops(db) == set()
    device = db.device.device_id
    stored = query(f"SELECT op_id, result FROM applied_ops WHERE device_id = '{device}'")
    # Nothing lost (every op id arrived), nothing invented (no op id the county never wrote).
    assert {op_id for op_id, _ in stored} == all_ops
    assert len(stored) == len(all_ops)
    # Each op was a new version of its row, sent in outbox order: the first answer is "applied" for all.
    assert {json.loads(result)["outcome"] for _, result in stored} == {"applied"}
    if counters:
        # One sequence number per op: an op applied twice (a resend after a lost answer treated as new)
        # would have moved the counter twice.
        counter = query("SELECT value FROM change_counter")[0][0]
        assert counter - counter_before == len(all_ops)
        seqs = [seq for (seq,) in query(f"SELECT seq FROM rows WHERE county_code = '{COUNTY_CODE}'")]
        assert len(set(seqs)) == len(seqs) and max(seqs) == counter
    # Every row once, in its latest local version, column for column.
    assert server_dump(query, COUNTY_CODE) == device_dump(db)


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "county"
    build_demo_county(data_dir, teachers=50, today=DEMO_TODAY)
    as_real_county(open_database(data_dir)).dispose()
    yield data_dir


@pytest.mark.proof
def test_client_killed_at_random_points_of_a_push(server: Server, county: Path) -> None:
    db = open_database(county)
    try:
        token = register(db, server.url, server.code(COUNTY_CODE))
        counter_before = server.query("SELECT value FROM change_counter")[0][0]
        all_ops = outbox_ops(db)
        rng = random.Random(7)
        killed_mid_push = 0
        for round_ in range(CLIENT_KILLS):
            batch_size = BATCH_SIZES[round_ % len(BATCH_SIZES)]
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(county), server.url, str(batch_size)],
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO), "GUOPEI_TEST_TOKEN": token},
                stdout=subprocess.PIPE,
            )
            assert child.stdout is not None
            assert child.stdout.readline() == b"ready\n"
            # A person keeps working while sync runs: their edits must survive the push being killed.
            threading.Event().wait(rng.uniform(0, 0.3))
            all_ops |= _edit(db, rng, round_, rng.randint(1, 30))
            threading.Event().wait(rng.uniform(0, 0.4))
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            child.stdout.close()
            killed_mid_push += child.returncode == -signal.SIGKILL
            assert integrity(db.path) == "ok"
        # The proof is about kills during pushes: most rounds must have been cut short (the outbox is
        # thousands of ops, far more than a round can send).
        assert killed_mid_push >= CLIENT_KILLS // 2
        # Restart once more and let it finish.
        summary = SyncClient(db, server.url, token, batch_size=97).push()
        assert summary.rejected == [] and summary.conflicts == [] and summary.unsettled == 0
        _assert_exactly_once(db, server.query, all_ops, counter_before)
        assert integrity(db.path) == "ok"
    finally:
        db.dispose()


@pytest.mark.proof
def test_server_killed_at_random_moments_of_pushes_and_pulls(tmp_path: Path, county: Path) -> None:
    # Its own server, on its own SQLite file, so that killing it disturbs no other test.
    server_db = tmp_path / "province.sqlite3"
    assert server_cli(["add-county", "--db", str(server_db), COUNTY_CODE, COUNTY_NAME]) == 0
    province = ServerProcess(str(server_db), free_port())
    province.start()
    query = sqlite_query(server_db)
    pusher = open_database(county)
    puller = create_database(tmp_path / "second", county_code=COUNTY_CODE, county_name=COUNTY_NAME)
    try:
        push_client = SyncClient(
            pusher, province.url, register(pusher, province.url, issue_code(str(server_db), COUNTY_CODE))
        )
        pull_client = SyncClient(
            puller,
            province.url,
            register(puller, province.url, issue_code(str(server_db), COUNTY_CODE)),
            page_size=150,
        )
        all_ops = outbox_ops(pusher)
        rng = random.Random(11)
        failures: list[BaseException] = []

        def run(step: str) -> None:
            client = push_client if step == "push" else pull_client
            try:
                client.push() if step == "push" else client.pull()
            except SyncError as error:  # the server died under it: NotConnected, as in the field
                failures.append(error)

        for round_ in range(SERVER_KILLS):
            push_client.batch_size = BATCH_SIZES[round_ % len(BATCH_SIZES)]
            all_ops |= _edit(pusher, rng, round_, rng.randint(1, 30))
            threads = [threading.Thread(target=run, args=(step,)) for step in ("push", "pull")]
            for thread in threads:
                thread.start()
            threading.Event().wait(rng.uniform(0.05, 0.8))
            province.kill()
            for thread in threads:
                thread.join(timeout=60)
                assert not thread.is_alive()
            assert integrity(server_db) == "ok"
            province.start()  # the same file: SQLite recovers the WAL, uncommitted batches vanish
        assert failures, "no request was cut short by a kill"
        push_client.batch_size = 500
        summary = push_client.push()
        assert summary.rejected == [] and summary.conflicts == [] and summary.unsettled == 0
        pull_client.pull()
        _assert_exactly_once(pusher, query, all_ops, 0)
        # The second device, whose pulls were cut short too, holds every row exactly as the first.
        assert device_dump(puller) == device_dump(pusher)
        assert outbox_ops(puller) == set()
        for path in (server_db, pusher.path, puller.path):
            assert integrity(path) == "ok"
    finally:
        province.stop()
        pusher.dispose()
        puller.dispose()
