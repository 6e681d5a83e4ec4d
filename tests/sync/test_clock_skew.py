"""Wrong clocks: a PC ten years ahead, one ten years behind, one whose clock jumps back mid-session.

County PCs lose their CMOS battery or are set by hand. With hybrid logical clocks an edit made after
seeing another (causally later) still sorts after it, whatever the wall clocks say, so it wins
everywhere; and every op still reaches the server exactly once. Each test uses a county of its own, so
that one test's far-future stamps never reach another test's devices.

The server clamps a stamp more than an hour ahead of its own clock to its clock (server.push
MAX_FUTURE_MS), tells the device (which takes the clamped stamp on its row and records how far off its
clock is, for the status area's warning), and so one PC set to 2036 cannot drag every county's clocks
ten years forward. The clamp keeps causal order: the clamped stamp still follows the version it replaces.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import School, Setting, Teacher
from desktop.db.outbox import insert_synced_rows
from desktop.domain.hlc import Hlc, system_wall_ms
from desktop.sync.client import CLOCK_SKEW_KEY, SyncClient, register
from server.cli import main as server_cli
from tests.sync.conftest import Server
from tests.sync.proofs import device_dump, outbox_ops, server_dump

TEN_YEARS_MS = 3653 * 24 * 3600 * 1000
_counties = itertools.count(520101)


class Devices:
    """The devices of one county made for one test, with every op they ever wrote."""

    def __init__(self, server: Server, tmp_path: Path) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.county = str(next(_counties))
        assert server_cli(["add-county", "--db", str(server.db_path), self.county, "测试县"]) == 0
        self.clients: list[SyncClient] = []
        self.ops: set[str] = set()

    def add(self, name: str, wall_ms: Callable[[], int]) -> SyncClient:
        data_dir = self.tmp_path / name
        create_database(data_dir, county_code=self.county, county_name="测试县").dispose()
        db = open_database(data_dir, wall_ms=wall_ms)
        client = SyncClient(db, self.server.url, register(db, self.server.url, self.server.code(self.county)))
        self.clients.append(client)
        return client

    def reopen(self, client: SyncClient, wall_ms: Callable[[], int]) -> SyncClient:
        """The app closed and started again (same file, same token) with the clock given."""
        client.db.dispose()
        reopened = SyncClient(
            open_database(client.db.path.parent, wall_ms=wall_ms), client.base_url, client.token
        )
        self.clients[self.clients.index(client)] = reopened
        return reopened

    def push(self, client: SyncClient, *, conflicts: int = 0) -> None:
        self.ops |= outbox_ops(client.db)
        summary = client.push()
        # An edit made after what its device saw may never be refused or lose as "older"; the tests say
        # where they expect a genuinely older edit to lose.
        assert len(summary.conflicts) == conflicts
        assert summary.rejected == [] and summary.unsettled == 0

    def settle(self) -> None:
        for client in [*self.clients, *self.clients]:
            self.push(client)
            client.pull()

    def assert_converged(self) -> None:
        """Every device holds the server's rows, and every op arrived exactly once."""
        on_server = server_dump(self.server.query, self.county)
        for client in self.clients:
            assert outbox_ops(client.db) == set()
            assert device_dump(client.db) == on_server
        listed = ",".join(f"'{op}'" for op in self.ops)
        received = self.server.query(f"SELECT op_id FROM applied_ops WHERE op_id IN ({listed})")
        assert sorted(op for (op,) in received) == sorted(self.ops)

    def close(self) -> None:
        for client in self.clients:
            client.db.dispose()


@pytest.fixture
def devices(server: Server, tmp_path: Path) -> Iterator[Devices]:
    made = Devices(server, tmp_path)
    yield made
    made.close()


def _seed(db: Database, count: int = 3) -> list[str]:
    """A school and a few teachers, written as an import would."""
    with db.write() as session:
        insert_synced_rows(session, School, [{"name": "县第一中学", "county_code": db.device.county_code}])
        school_id = session.scalars(select(School.id)).one()
        insert_synced_rows(
            session,
            Teacher,
            [
                {
                    # Other people in every county: the server merges teachers by ID number across
                    # counties, and each test's county must stay its own.
                    "id_number": f"{db.device.county_code}19800101{index:03d}X",
                    "name": f"张{'一二三四五'[index]}",
                    "gender": "1",
                    "birth_date": dt.date(1980, 1, 1),
                    "school_id": school_id,
                }
                for index in range(count)
            ],
        )
        return list(session.scalars(select(Teacher.id).order_by(Teacher.id_number)))


def _phone(db: Database, teacher_id: str, phone: str) -> Hlc:
    """Edit a teacher on one device; the stamp its edit got."""
    with db.write() as session:
        teacher = session.get_one(Teacher, teacher_id)
        teacher.phone = phone
    with db.read() as session:
        return Hlc.decode(session.get_one(Teacher, teacher_id).hlc)


def _phones(client: SyncClient) -> dict[str, str]:
    with client.db.read() as session:
        return {row.id: row.phone for row in session.execute(select(Teacher.id, Teacher.phone))}


def _ahead() -> int:
    return system_wall_ms() + TEN_YEARS_MS


def _behind() -> int:
    return system_wall_ms() - TEN_YEARS_MS


def test_an_edit_after_a_device_ten_years_ahead_still_wins(devices: Devices) -> None:
    normal = devices.add("normal", system_wall_ms)
    future = devices.add("future", _ahead)
    teacher, other, _ = _seed(normal.db)
    devices.push(normal)
    future.pull()

    future_stamp = _phone(future.db, teacher, "13900000001")
    assert future_stamp.wall_ms > system_wall_ms() + TEN_YEARS_MS // 2
    devices.push(future)
    # The server kept the 2036 edit under its own clock's time, and the future PC's row followed.
    with future.db.read() as session:
        clamped = Hlc.decode(session.get_one(Teacher, teacher).hlc)
    assert clamped.wall_ms <= system_wall_ms() + 3600_000 and clamped.node == future_stamp.node
    with future.db.read() as session:
        skew = session.get_one(Setting, CLOCK_SKEW_KEY).value
    assert skew > TEN_YEARS_MS // 2  # what the status area warns about
    normal.pull()
    # The normal PC saw the (clamped) 2036 edit, so its own edit, made afterwards, comes after it, and
    # its clock was not dragged ten years forward.
    normal_stamp = _phone(normal.db, teacher, "13900000002")
    assert normal_stamp > clamped
    assert normal_stamp.wall_ms < system_wall_ms() + 3600_000
    devices.push(normal)
    # And back: the future PC's answer to that comes later again.
    future.pull()
    _phone(future.db, other, "13900000003")
    devices.settle()

    for client in devices.clients:
        assert _phones(client)[teacher] == "13900000002"
        assert _phones(client)[other] == "13900000003"
    devices.assert_converged()


def test_a_device_ten_years_behind_wins_with_edits_made_after_it_synced(devices: Devices) -> None:
    normal = devices.add("normal", system_wall_ms)
    past = devices.add("past", _behind)
    teacher, second, _ = _seed(normal.db)
    first_stamp = _phone(normal.db, teacher, "13800000001")
    devices.push(normal)
    past.pull()
    # Its wall clock says ten years ago; the edit still sorts after the version it was made on.
    past_stamp = _phone(past.db, teacher, "13800000002")
    assert past_stamp > first_stamp
    # Restarted, clock still wrong: the persisted high-water mark keeps it going upward.
    past = devices.reopen(past, _behind)
    restarted_stamp = _phone(past.db, second, "13800000003")
    assert restarted_stamp > past_stamp
    devices.push(past)
    normal.pull()
    assert _phones(normal)[teacher] == "13800000002"
    assert _phones(normal)[second] == "13800000003"
    # The normal PC answers; its edit wins over the past PC's in turn.
    _phone(normal.db, second, "13800000004")
    devices.settle()

    for client in devices.clients:
        assert {k: v for k, v in _phones(client).items() if k in (teacher, second)} == {
            teacher: "13800000002",
            second: "13800000004",
        }
    devices.assert_converged()


class JumpingClock:
    """A wall clock that can be set back (a CMOS battery giving out, a person fixing the date)."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def __call__(self) -> int:
        return system_wall_ms() + self.offset_ms


def test_a_clock_jumping_back_mid_session_keeps_later_edits_later(devices: Devices) -> None:
    clock = JumpingClock()
    jumping = devices.add("jumping", clock)
    normal = devices.add("normal", system_wall_ms)
    teacher, second, third = _seed(jumping.db)
    devices.push(jumping)
    normal.pull()

    # The other PC edits first (real time), then the jumping PC edits, has its clock set back ten
    # years, and edits again: each of its edits is later than the one before, so the last one wins.
    _phone(normal.db, teacher, "13700000001")
    before = _phone(jumping.db, teacher, "13700000002")
    clock.offset_ms = -TEN_YEARS_MS
    after = _phone(jumping.db, teacher, "13700000003")
    assert after > before
    # Half a day further back, and the app restarted in between.
    clock.offset_ms -= 12 * 3600 * 1000
    jumping = devices.reopen(jumping, clock)
    restarted = _phone(jumping.db, second, "13700000004")
    assert restarted > after
    _phone(jumping.db, third, "13700000005")
    # Its ops go out in order and each is newer than the one before: none is a "conflict".
    devices.push(jumping)
    # The other PC's edit is the older one (made first in real time): the server keeps the jumping
    # PC's later edit and says so.
    devices.push(normal, conflicts=1)
    devices.settle()

    for client in devices.clients:
        assert {k: v for k, v in _phones(client).items() if k in (teacher, second, third)} == {
            teacher: "13700000003",
            second: "13700000004",
            third: "13700000005",
        }
    devices.assert_converged()
