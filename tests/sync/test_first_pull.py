"""A real county's first day: a new PC registers with a one-time code, takes the code's county and pulls
all of it (resuming a cut or cancelled pull without a new code); `guopei-desk sync`; a damaged
database rebuilt from the province; a demo county never registers. Real server, real files."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from desktop.cli import main
from desktop.db.base import Base
from desktop.db.engine import DB_FILENAME, Database, create_database, open_database, quick_check
from desktop.db.models import (
    Attendance,
    Certificate,
    Enrollment,
    OutboxEntry,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.db.outbox import insert_synced_rows
from desktop.errors import Cancelled, DatabaseCorrupt
from desktop.services import certificates, checkin, projects
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import (
    DemoCountyRefused,
    NotConnected,
    ServerRefused,
    SyncClient,
    device_identity,
    register,
)
from desktop.sync.credentials import FILENAME as CREDENTIALS
from desktop.sync.credentials import Credentials, load_credentials, save_credentials
from desktop.sync.first_pull import (
    ENTITY_LABELS,
    CountyExists,
    DatabaseSound,
    first_pull_pending,
    init_from_server,
    recover_from_server,
)
from guopei_common.certificate_signing import key_id, public_key_of
from guopei_common.protocol import PROTOCOL_HEADER
from server.cli import main as server_cli
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import OTHER_COUNTY, Server, as_real_county
from tests.sync.link_proxy import Fault, LinkProxy

Rows = dict[str, set[tuple[str, str]]]


def synced_rows(db: Database) -> Rows:
    """Every synced row (live or tombstone) as (id, hlc), per entity."""
    found: Rows = {}
    with db.read() as session:
        for mapper in Base.registry.mappers:
            model = mapper.class_
            if hasattr(model, "__sync_entity__"):
                table = model.__table__
                found[model.__sync_entity__] = {
                    tuple(row) for row in session.execute(select(table.c.id, table.c.hlc))
                }
    return found


class Source:
    """The county as another PC made it and pushed it, with certificates it signed."""

    def __init__(self, db: Database, client: SyncClient, qr: str) -> None:
        self.db = db
        self.client = client
        self.qr = qr  # a certificate QR this PC signed

    def rows(self) -> Rows:
        """Its rows once it has pulled what other PCs of the county sent since: the county as the
        province holds it."""
        self.client.pull()
        return synced_rows(self.db)


@pytest.fixture(scope="module")
def source(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    data_dir = tmp_path_factory.mktemp("source") / "county"
    build_demo_county(data_dir, teachers=50, today=DEMO_TODAY)
    db = as_real_county(open_database(data_dir))
    client = SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)), batch_size=2000)
    with db.write() as session:
        project_id = session.scalar(select(Enrollment.project_id).where(Enrollment.status == "completed"))
        ids = certificates.issue_for_project(
            session, project_id, county_code=COUNTY_CODE, issued_on=DEMO_TODAY
        )
        qr = session.get_one(Certificate, ids[0]).verification_code
    summary = client.push()
    assert summary.rejected == [] and summary.unsettled == 0
    # The province's switch for the county: a new PC must have it before its first class.
    assert (
        server_cli(
            ["policy", "--db", server.db, "--offline-training", "suspended", "--counties", COUNTY_CODE]
        )
        == 0
    )
    yield Source(db, client, qr)
    db.dispose()


def _cli(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def _init(data_dir: Path, url: str, code: str) -> int:
    return _cli(data_dir, "init", "--server", url, "--code", code)


def _devices(server: Server) -> int:
    return server.query("SELECT count(*) FROM devices")[0][0]


def _someone_to_check_in(db: Database) -> tuple[str, str]:
    """A (session, enrollment) of a class whose trainee has no attendance for that session yet."""
    with db.read() as session:
        pairs = session.execute(
            select(TrainingSession.id, Enrollment.id)
            .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
            .join(Enrollment, Enrollment.class_id == TrainingClass.id)
            .where(Enrollment.status.in_(checkin.EXPECTED), TrainingSession.deleted.is_(False))
            .order_by(TrainingSession.date, TrainingSession.id, Enrollment.id)
        ).all()
        for session_id, enrollment_id in pairs:
            if checkin.find_attendance(session, session_id, enrollment_id) is None:
                return session_id, enrollment_id
    raise AssertionError("no trainee left to check in")


def test_init_pulls_the_county_another_pc_made_and_the_new_pc_then_works(
    server: Server, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "new-pc"
    assert _init(data_dir, server.url, server.code(COUNTY_CODE)) == 0
    out = capsys.readouterr().out
    assert (
        "已注册：平塘县（522727）" in out and "正在下载本县数据：第 1 页，已接收" in out and "[100%]" in out
    )

    db = open_database(data_dir)
    try:
        pulled, expected = synced_rows(db), source.rows()
        for entity in ("school", "teacher", "project", "enrollment", "attendance", "certificate"):
            assert pulled[entity], entity
        assert pulled == expected  # every row, once, in the source's version
        saved = load_credentials(data_dir)
        assert saved is not None and (saved.device_id, saved.county_code) == (
            db.device.device_id,
            COUNTY_CODE,
        )
        assert db.device.device_id != source.db.device.device_id and not first_pull_pending(data_dir)
        with db.read() as session, source.db.read() as there:
            # Serials continue after the county's last certificate, as on the PC that issued them.
            year = DEMO_TODAY.year
            assert certificates.next_sequence(session, COUNTY_CODE, year) == certificates.next_sequence(
                there, COUNTY_CODE, year
            )
            assert certificates.next_sequence(session, COUNTY_CODE, year) > 1
            assert certificates.verify(session, source.qr).valid  # the other PC's key arrived
            assert projects.offline_suspended(session)  # the province's policy arrived

        session_id, enrollment_id = _someone_to_check_in(db)
        with db.write() as session:
            info = checkin.session_info(session, session_id)
            now = dt.datetime.combine(info.date, info.start)
            result = checkin.record(session, info, enrollment_id, now=now, sign_out=False, method="badge")
            assert result.outcome == checkin.Outcome.CHECKED_IN
    finally:
        db.dispose()
    assert _cli(data_dir, "sync") == 0
    out = capsys.readouterr().out
    assert "被拒绝 0" in out
    sent = server.query(
        f"SELECT row_id FROM rows WHERE entity = 'attendance' AND origin = '{saved.device_id}'"
    )
    assert len(sent) == 1
    # Run again on the finished county: refused, nothing changed.
    assert _init(data_dir, server.url, server.code(COUNTY_CODE)) == 2
    assert "已有县区数据" in capsys.readouterr().err


def test_a_first_pull_cut_mid_way_resumes_without_a_new_code_or_duplicates(
    server: Server, source: Source, tmp_path: Path
) -> None:
    data_dir = tmp_path / "cut"
    code = server.code(COUNTY_CODE)
    devices = _devices(server)
    with LinkProxy(server.url) as proxy:
        first: list[tuple[int, str]] = []

        def cut_after_three_pages(percent: int, message: str) -> None:
            first.append((percent, message))
            if message.startswith("正在下载本县数据：第 3 页"):
                proxy.arm(Fault("drop_response", path="/v1/pull"))

        with pytest.raises(NotConnected):
            init_from_server(data_dir, proxy.url, code, progress=cut_after_three_pages, page_size=500)
        assert ("drop_response", "/v1/pull") in [
            (kind, path.split("?")[0]) for kind, path in proxy.stats.fired
        ]
        assert first_pull_pending(data_dir) and load_credentials(data_dir) is not None
        partial = open_database(data_dir)
        assert sum(len(rows) for rows in synced_rows(partial).values()) == 3 * 500  # three pages kept
        partial.dispose()

        again: list[tuple[int, str]] = []
        result = init_from_server(
            data_dir, proxy.url, code, progress=lambda p, m: again.append((p, m)), page_size=500
        )
    assert result.resumed and not first_pull_pending(data_dir)
    assert _devices(server) == devices + 1  # one registration: the spent code was not used again
    db = open_database(data_dir)
    try:
        assert synced_rows(db) == source.rows()
    finally:
        db.dispose()
    expected = sum(len(rows) for rows in source.rows().values())
    assert result.total == expected - 3 * 500  # the second run fetched only what the first had not
    # Progress says what it fetches, with a percentage that only grows and ends at 100.
    for run in (first, again):
        percents = [percent for percent, _ in run]
        assert percents == sorted(percents)
    pages = [percent for percent, message in first if message.startswith("正在下载本县数据：第")]
    assert 5 < pages[0] < pages[-1] < 99
    percent, message = again[-1]
    assert percent == 100 and message.startswith(f"本县数据已下载完成：{result.total:,} 条")
    assert all(f"{ENTITY_LABELS[entity]} {count:,}" in message for entity, count in result.received.items())


def test_a_cancelled_first_pull_is_finished_by_a_plain_sync(
    server: Server, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "cancelled"
    pages: list[str] = []

    def progress(_percent: int, message: str) -> None:
        if "页" in message:
            pages.append(message)

    with pytest.raises(Cancelled):
        init_from_server(
            data_dir,
            server.url,
            server.code(COUNTY_CODE),
            progress=progress,
            cancelled=lambda: len(pages) >= 2,
            page_size=400,
        )
    assert len(pages) == 2 and first_pull_pending(data_dir)
    assert _cli(data_dir, "sync") == 0
    assert "从中断处继续" in capsys.readouterr().out
    assert not first_pull_pending(data_dir)
    db = open_database(data_dir)
    try:
        assert synced_rows(db) == source.rows()
    finally:
        db.dispose()


def test_a_pc_registered_from_the_sync_page_pulls_a_county_whose_parents_changed_last(
    server: Server, source: Source, tmp_path: Path
) -> None:
    with source.db.write() as session:
        teacher = session.scalars(
            select(Teacher).join(Enrollment, Enrollment.teacher_id == Teacher.id).order_by(Teacher.id)
        ).first()
        # Edited now, the teacher comes after every enrollment of theirs in the feed, pages later.
        teacher.phone = "13700002222"
    assert source.client.push().rejected == []
    db = create_database(tmp_path / "pc", county_code=COUNTY_CODE, county_name="平塘县")
    try:
        client = SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)), page_size=300)
        client.pull()
        assert synced_rows(db) == source.rows()
        with db.read() as session:
            assert session.connection().exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()
    assert not first_pull_pending(tmp_path / "pc")


def test_init_refuses_a_folder_that_already_holds_a_county(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "county"
    create_database(data_dir, county_code=COUNTY_CODE, county_name="平塘县").dispose()
    before = hashlib.sha256((data_dir / DB_FILENAME).read_bytes()).hexdigest()
    devices = _devices(server)
    code = server.code(COUNTY_CODE)
    assert _init(data_dir, server.url, code) == 2
    assert "已有县区数据" in capsys.readouterr().err
    assert hashlib.sha256((data_dir / DB_FILENAME).read_bytes()).hexdigest() == before
    assert not (data_dir / CREDENTIALS).exists() and _devices(server) == devices
    with pytest.raises(CountyExists):
        init_from_server(data_dir, server.url, code)
    # The code was never sent: another new PC can still use it.
    assert init_from_server(tmp_path / "other", server.url, code).county_code == COUNTY_CODE


def test_a_wrong_code_says_so_and_leaves_nothing_behind(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "new-pc"
    assert _init(data_dir, server.url, "ABCD-EFGH-JKLM-NPQR") == 2
    assert "注册码无效、已使用或已过期" in capsys.readouterr().err
    left = {path.name for path in data_dir.iterdir()} if data_dir.exists() else set()
    assert not {DB_FILENAME, f"{DB_FILENAME}-wal", CREDENTIALS} & left


def test_the_registration_qr_text_is_enough(server: Server, tmp_path: Path) -> None:
    scanned = f"GPR1|{server.url}|{server.code(OTHER_COUNTY)}"
    assert main(["--data-dir", str(tmp_path / "pc"), "init", "--code", scanned]) == 0
    assert load_credentials(tmp_path / "pc").server_url == server.url


def test_a_new_pc_takes_its_codes_county_and_can_never_cross_into_another(
    server: Server, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "luodian"
    result = init_from_server(data_dir, server.url, server.code(OTHER_COUNTY))
    assert (result.county_code, result.county_name) == (OTHER_COUNTY, "罗甸县")
    assert result.total == 0  # none of 522727's rows, though it named no county when it registered
    saved = load_credentials(data_dir)
    assert saved is not None
    db = open_database(data_dir)
    try:
        assert db.device.county_code == OTHER_COUNTY
        assert not any(synced_rows(db).values())
        # The server tells a device who it is, and nothing else.
        identity = device_identity(server.url, saved.token)
        assert identity.model_dump() == {
            "device_id": db.device.device_id,
            "county_code": OTHER_COUNTY,
            "county_name": "罗甸县",
        }
        # A pull asked for the other county's rows in every way the API allows gets none of them.
        for params in ({"cursor": 0, "own": 1, "remaining": 1}, {"cursor": 0, "limit": 2000}):
            page = requests.get(
                f"{server.url}/v1/pull",
                params=params,
                headers={"Authorization": f"Bearer {saved.token}", PROTOCOL_HEADER: "1"},
                timeout=10,
            ).json()
            assert page["changes"] == []
            # An old client (which refuses unknown fields) is never sent `remaining` unless it asks.
            assert ("remaining" in page) == ("remaining" in params) and page.get("remaining", 0) == 0
        # Writing a row under an id of 522727's from this PC.
        with source.db.read() as session:
            school = session.scalars(select(School).order_by(School.id)).first()
            values = {column.key: getattr(school, column.key) for column in School.__table__.c}
        stored = server.query(f"SELECT payload, hlc FROM rows WHERE row_id = '{school.id}'")
        with db.write() as session:
            insert_synced_rows(
                session,
                School,
                [{k: v for k, v in values.items() if k not in ("hlc", "origin")} | {"name": "冒名学校"}],
            )
        # A code of 522727 cannot register this 罗甸 database either (its county is named now).
        with pytest.raises(ServerRefused) as refused:
            register(db, server.url, server.code(COUNTY_CODE))
        assert refused.value.status == 403
    finally:
        db.dispose()
    # Row ids name rows only within a county: under 522727's school id, this is 罗甸's own new school,
    # kept by the province under an id of its making and shown to 罗甸 under its own; 522727's row is
    # untouched.
    assert _cli(data_dir, "sync") == 0
    out = capsys.readouterr().out
    assert "被拒绝 0" in out and "校验：与省级平台一致" in out
    assert server.query(f"SELECT payload, hlc FROM rows WHERE row_id = '{school.id}'") == stored


def test_sync_says_when_the_pc_is_not_registered_or_the_province_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "county"
    create_database(data_dir, county_code=COUNTY_CODE, county_name="平塘县").dispose()
    assert _cli(data_dir, "sync") == 2
    assert "本机尚未在省级平台注册：请先运行 guopei-desk init --server" in capsys.readouterr().err
    save_credentials(data_dir, Credentials("http://127.0.0.1:9", "token"))  # nothing listens there
    assert _cli(data_dir, "sync") == 2
    err = capsys.readouterr().err
    assert "无法连接省级平台（http://127.0.0.1:9）" in err and "Traceback" not in err


def test_a_demo_county_can_never_register(server: Server, tmp_path: Path) -> None:
    build_demo_county(tmp_path / "demo", teachers=50, today=DEMO_TODAY)
    db = open_database(tmp_path / "demo")
    code = server.code(COUNTY_CODE)
    try:
        # Refused before any traffic: with nothing listening, a request would raise NotConnected.
        with pytest.raises(DemoCountyRefused, match="演示县"):
            register(db, "http://127.0.0.1:9", code)
        with pytest.raises(DemoCountyRefused):
            register(db, server.url, code)
    finally:
        db.dispose()
    assert _cli(tmp_path / "demo", "sync") == 2  # and it has no credentials to sync with
    # The code was never spent.
    real = create_database(tmp_path / "real", county_code=COUNTY_CODE, county_name="平塘县")
    try:
        assert register(real, server.url, code)
    finally:
        real.dispose()


def _corrupt_attendance_pages(path: Path) -> None:
    """Overwrite the attendance table's leaf pages with garbage, as a failing disk sector would; the
    rest of the file (settings, outbox) stays readable."""
    connection = sqlite3.connect(path)
    try:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = [
            row[0]
            for row in connection.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (Attendance.__tablename__,)
            )
        ]
    finally:
        connection.close()
    assert pages and not Path(f"{path}-wal").exists()
    with path.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * page_size)
            handle.write(bytes([0xA5]) * page_size)


def test_a_damaged_database_is_rebuilt_from_the_province(
    server: Server, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "pc"
    init_from_server(data_dir, server.url, server.code(COUNTY_CODE))
    db = open_database(data_dir)
    device_id = db.device.device_id
    with db.write() as session:
        kid = key_id(public_key_of(certificates.signing_key(session)))
        teacher = session.scalars(select(Teacher).order_by(Teacher.id)).first()
        teacher.phone = "13800001111"  # this PC's own change, sent to the province
        teacher_id = teacher.id
    saved = load_credentials(data_dir)
    assert saved is not None
    SyncClient(db, saved.server_url, saved.token).sync()
    with db.write() as session:
        session.get_one(Teacher, teacher_id).note = "改动未上传"  # never sent
    with db.read() as session:
        unsent = len(session.scalars(select(OutboxEntry)).all())
    db.dispose()
    # A credentials file from before the identity was kept beside the token (the GUI writes those).
    save_credentials(data_dir, Credentials(saved.server_url, saved.token))
    path = data_dir / DB_FILENAME
    _corrupt_attendance_pages(path)
    damaged = path.read_bytes()
    assert quick_check(path) != "ok"
    with pytest.raises(DatabaseCorrupt):
        open_database(data_dir)

    result = recover_from_server(data_dir)

    assert result.set_aside[0].name.startswith("guopei-damaged-") and result.set_aside[0].suffix == ".sqlite3"
    assert result.set_aside[0].read_bytes() == damaged  # set aside, never deleted
    assert result.unsent_changes == unsent == 1 and result.signing_key_kept
    rebuilt = open_database(data_dir)
    try:
        assert (rebuilt.device.device_id, rebuilt.device.county_code) == (device_id, COUNTY_CODE)
        assert synced_rows(rebuilt) == source.rows()  # the county as the province holds it
        with rebuilt.read() as session:
            teacher = session.get_one(Teacher, teacher_id)
            assert teacher.phone == "13800001111"  # its own earlier change came back (own=1)
            assert teacher.note != "改动未上传"
            assert key_id(public_key_of(certificates.signing_key(session))) == kid
        assert load_credentials(data_dir).device_id == device_id  # kept from now on
        summary, _pulled = SyncClient(rebuilt, saved.server_url, saved.token).sync()
        assert summary.rejected == []
    finally:
        rebuilt.dispose()
    # A sound database is not rebuilt unless asked.
    with pytest.raises(DatabaseSound):
        recover_from_server(data_dir)
    assert _cli(data_dir, "rebuild") == 2
    assert "--force" in capsys.readouterr().err


def test_init_where_the_database_was_lost_continues_as_the_same_pc_without_spending_a_code(
    server: Server, tmp_path: Path
) -> None:
    data_dir = tmp_path / "pc"
    first = init_from_server(data_dir, server.url, server.code(OTHER_COUNTY))
    for name in (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"):
        (data_dir / name).unlink(missing_ok=True)
    unused = server.code(OTHER_COUNTY)
    again = init_from_server(data_dir, server.url, unused)
    assert (again.device_id, again.county_code) == (first.device_id, OTHER_COUNTY)
    assert init_from_server(tmp_path / "another", server.url, unused).device_id != first.device_id
