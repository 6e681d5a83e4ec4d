"""Order independence: two devices of one county change the same rows offline, then push and pull in
every order; both devices and the server always end with the same rows, and each row is the version
that was written last (by HLC, which here is also real time: both devices share one test clock).

Each order works on its own rows of one shared county (the rows of earlier orders are settled), so one
server and one pair of devices serve every order: what an order does to its rows is independent of the
others, and the whole county is compared too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from desktop.db.engine import Database, create_database, open_database
from desktop.db.models import Attendance, Enrollment, School, Teacher, TrainingSession
from desktop.db.outbox import insert_synced_rows
from desktop.domain.hlc import system_wall_ms
from desktop.domain.ids import new_id
from desktop.services import checkin
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import SyncClient, register
from guopei_common.protocol import PROVINCE_NODE
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import Server, as_real_county
from tests.sync.proofs import Key, device_dump, outbox_ops, server_dump

STEPS = ("push A", "push B", "pull A", "pull B")
# Every order of the four steps once, then seeded sequences of six with repeats (a pull before and
# after the other side's push, a push twice...).
_rng = random.Random(20240607)
ORDERS: list[tuple[str, ...]] = [*itertools.permutations(STEPS)] + [
    tuple(_rng.choice(STEPS) for _ in range(6)) for _ in range(12)
]


class SharedClock:
    """One wall clock for both devices, a millisecond further at every reading: whichever device edits
    later gets the later stamp, so the expected winner of every conflict is known in advance."""

    def __init__(self) -> None:
        self._next = itertools.count(system_wall_ms() + 60_000)

    def __call__(self) -> int:
        return next(self._next)


@dataclass
class Pair:
    a: SyncClient
    b: SyncClient
    fresh: list[tuple[str, str]]  # (session, enrollment) of an expected trainee, not yet checked in
    present: list[tuple[str, str]]  # (session, enrollment) checked in
    teachers: list[str]
    schools: list[str]
    # Per key, fields whose final value is known even where whole rows are not (this round's).
    fields: dict[Key, dict[str, Any]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def pair(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    clock = SharedClock()
    a_dir = tmp_path_factory.mktemp("orders-a") / "county"
    build_demo_county(a_dir, teachers=50, today=DEMO_TODAY)
    a_db = as_real_county(open_database(a_dir, wall_ms=clock))
    b_dir = tmp_path_factory.mktemp("orders-b") / "county"
    create_database(b_dir, county_code=COUNTY_CODE, county_name="测试县").dispose()
    b_db = open_database(b_dir, wall_ms=clock)
    a = SyncClient(a_db, server.url, register(a_db, server.url, server.code(COUNTY_CODE)))
    b = SyncClient(b_db, server.url, register(b_db, server.url, server.code(COUNTY_CODE)))
    a.push()
    b.pull()
    assert device_dump(b_db) == device_dump(a_db)
    with a_db.read() as session:
        pairs = session.execute(
            select(TrainingSession.id, Enrollment.id, Attendance.status)
            .join(Enrollment, Enrollment.class_id == TrainingSession.class_id)
            .outerjoin(
                Attendance,
                (Attendance.session_id == TrainingSession.id) & (Attendance.enrollment_id == Enrollment.id),
            )
            .where(Enrollment.status.in_(checkin.EXPECTED))
            .order_by(TrainingSession.id, Enrollment.id)
        ).all()
        teachers = list(session.scalars(select(Teacher.id).order_by(Teacher.id)))
        schools = list(session.scalars(select(School.id).order_by(School.id)))
    yield Pair(
        a,
        b,
        fresh=[(s, e) for s, e, status in pairs if status is None],
        present=[(s, e) for s, e, status in pairs if status == "present"],
        teachers=teachers,
        schools=schools,
    )
    a_db.dispose()
    b_db.dispose()


def _check_in(db: Database, session_id: str, enrollment_id: str, minutes: int) -> None:
    """The door scan on one laptop: the service writes the attendance row (its id is the natural id,
    the same on both laptops) and may move the enrollment to 'attending'."""
    with db.write() as session:
        info = checkin.session_info(session, session_id)
        now = dt.datetime.combine(info.date, info.start) + dt.timedelta(minutes=minutes)
        result = checkin.record(session, info, enrollment_id, now=now, sign_out=False, method="badge")
        assert result.outcome in (checkin.Outcome.CHECKED_IN, checkin.Outcome.LATE), result


def _undo(db: Database, session_id: str, enrollment_id: str) -> None:
    with db.write() as session:
        result = checkin.undo(session, session_id, enrollment_id, sign_out=False)
        assert result.outcome == checkin.Outcome.UNDONE, result


def _note(db: Database, session_id: str, enrollment_id: str, note: str) -> None:
    with db.write() as session:
        row = session.scalars(
            select(Attendance).where(
                Attendance.session_id == session_id, Attendance.enrollment_id == enrollment_id
            )
        ).one()
        row.note = note


def _edit_teacher(db: Database, teacher_id: str, **values: Any) -> None:
    with db.write() as session:
        teacher = session.get_one(Teacher, teacher_id)
        for key, value in values.items():
            setattr(teacher, key, value)


def _new_school(db: Database, name: str) -> str:
    with db.write() as session:
        school_id = new_id()
        insert_synced_rows(session, School, [{"id": school_id, "name": name, "county_code": COUNTY_CODE}])
    return school_id


def _conflicting_edits(pair: Pair, round_: int) -> dict[Key, str]:
    """Offline edits on both devices, in a known real-time order; returns the keys touched and which
    device edited each last (the one whose version must be everywhere in the end)."""
    a, b = pair.a.db, pair.b.db
    teachers = pair.teachers
    t1, t2, t3, t4 = (teachers[(4 * round_ + i) % len(teachers)] for i in range(4))
    fresh = pair.fresh[round_]
    present_1, present_2 = pair.present[2 * round_], pair.present[2 * round_ + 1]
    touched: dict[Key, str] = {}
    # Teachers merge field by field at the province (server/merge.py): what must hold is each field's
    # later edit, whichever laptop made it, and the province's merged row on both laptops.
    # Same field on both: the later phone number wins.
    _edit_teacher(a, t1, phone=f"1350000{round_:04d}")
    _edit_teacher(b, t1, phone=f"1360000{round_:04d}")
    pair.fields[("teacher", t1)] = {"phone": f"1360000{round_:04d}"}
    # Different fields of one teacher: both edits stay.
    _edit_teacher(a, t2, phone=f"1370000{round_:04d}")
    with b.read() as session:
        current = session.get_one(Teacher, t2).school_id
    new_school = next(s for s in pair.schools if s != current)
    _edit_teacher(b, t2, school_id=new_school)
    pair.fields[("teacher", t2)] = {"school_id": new_school, "phone": f"1370000{round_:04d}"}
    # The other way round: B first, A later.
    _edit_teacher(b, t3, title="一级")
    _edit_teacher(a, t3, note=f"A 第{round_}轮")
    pair.fields[("teacher", t3)] = {"title": "一级", "note": f"A 第{round_}轮"}
    # The same trainee checked in on both laptops: one row (the natural id), the earlier check-in kept
    # whichever laptop scanned last (guopei_common/merge.py), re-stamped by the province ("*") so that
    # the laptop that scanned later adopts it too.
    _check_in(a, *fresh, minutes=-5)
    _check_in(b, *fresh, minutes=20)
    touched[("attendance", _attendance_id(a, *fresh))] = "A*"
    # A tombstone against an edit, both ways round.
    _undo(a, *present_1)
    _note(b, *present_1, f"B 补记 {round_}")
    touched[("attendance", _attendance_id(a, *present_1))] = "B"
    _note(b, *present_2, f"B 补记 {round_}")
    _undo(a, *present_2)
    touched[("attendance", _attendance_id(a, *present_2))] = "A"
    # New rows on each side, one referenced by a changed teacher: nothing may be lost.
    school_a = _new_school(a, f"A 新校 {round_}")
    _edit_teacher(a, t4, school_id=school_a)
    touched[("school", school_a)] = "A"
    pair.fields[("teacher", t4)] = {"school_id": school_a}
    touched[("school", _new_school(b, f"B 新校 {round_}"))] = "B"
    return touched


def _facts(row: dict[str, Any], restamped: bool) -> dict[str, Any]:
    """A row's values, without its stamp and origin where the province re-stamped it."""
    return {name: value for name, value in row.items() if name not in ("hlc", "origin")} if restamped else row


def _attendance_id(db: Database, session_id: str, enrollment_id: str) -> str:
    with db.read() as session:
        return session.scalars(
            select(Attendance.id).where(
                Attendance.session_id == session_id, Attendance.enrollment_id == enrollment_id
            )
        ).one()


def _run(pair: Pair, order: tuple[str, ...]) -> None:
    actions: dict[str, Callable[[], object]] = {
        "push A": pair.a.push,
        "push B": pair.b.push,
        "pull A": pair.a.pull,
        "pull B": pair.b.pull,
    }
    for step in order:
        actions[step]()
    # Then both settle, as the automatic sync does within ten minutes.
    pair.a.sync()
    pair.b.sync()
    pair.a.sync()


@pytest.mark.proof
@pytest.mark.parametrize("round_", range(len(ORDERS)), ids=[" / ".join(order) for order in ORDERS])
def test_any_order_of_pushes_and_pulls_ends_in_the_same_state(
    server: Server, pair: Pair, round_: int
) -> None:
    pair.fields.clear()
    touched = _conflicting_edits(pair, round_)
    a_before, b_before = device_dump(pair.a.db), device_dump(pair.b.db)
    # What each key must end as: the version of the device that edited it last (or, for "A*", A's
    # earlier check-in under the province's new stamp).
    expected = {key: (a_before if who.startswith("A") else b_before)[key] for key, who in touched.items()}
    a_device, b_device = pair.a.db.device.device_id, pair.b.db.device.device_id
    assert {key: value["origin"] for key, value in expected.items()} == {
        key: a_device if who.startswith("A") else b_device for key, who in touched.items()
    }
    restamped = {key for key, who in touched.items() if who.endswith("*")}
    ops = outbox_ops(pair.a.db) | outbox_ops(pair.b.db)

    _run(pair, ORDERS[round_])

    a_after, b_after = device_dump(pair.a.db), device_dump(pair.b.db)
    on_server = server_dump(server.query, COUNTY_CODE)
    assert {key: _facts(a_after[key], key in restamped) for key in touched} == {
        key: _facts(value, key in restamped) for key, value in expected.items()
    }
    assert all(a_after[key]["origin"] == PROVINCE_NODE for key in restamped)
    for key, values in pair.fields.items():
        assert {name: a_after[key][name] for name in values} == values
    # The whole county, not only this order's rows: both devices and the server hold the same rows.
    assert a_after == b_after == on_server
    assert outbox_ops(pair.a.db) == outbox_ops(pair.b.db) == set()
    # Every op of both devices reached the server once, whether it won, lost to a newer version
    # ("conflict") or was overwritten later: none was dropped on the way.
    received = {
        op_id
        for (op_id,) in server.query(
            "SELECT op_id FROM applied_ops WHERE op_id IN ({})".format(",".join(f"'{op}'" for op in ops))
        )
    }
    assert received == ops
    # And a further sync on either side changes nothing.
    assert pair.a.sync()[1] == 0 and pair.b.sync()[1] == 0


def test_orders_cover_every_interleaving() -> None:
    # The proof above is only as good as its list of orders: all 24 of the four steps are there.
    assert len({order for order in ORDERS if len(order) == 4}) == 24
    assert all(set(order) <= set(STEPS) for order in ORDERS)
