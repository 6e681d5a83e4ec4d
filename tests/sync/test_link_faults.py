"""The sync client over a poor link: a real fault-injecting TCP proxy (tests/sync/link_proxy.py) between
the real client and the real server subprocess. Outcomes are checked on the server's database and the
local outbox; nothing here measures wall time."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.db.engine import Database, open_database
from desktop.db.models import Attendance, OutboxEntry, Setting
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import (
    BATCH_KEY,
    DEFAULT_BATCH,
    FIRST_BATCH,
    MIN_BATCH,
    NotConnected,
    ServerRefused,
    SyncClient,
    parse_retry_after,
    register,
)
from desktop.sync.schedule import next_delay_ms
from guopei_common.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, PushBatch, PushResponse
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import Server, as_real_county
from tests.sync.link_proxy import Fault, LinkProxy, trickle


class RecordingClient(SyncClient):
    """The real client, noting the size of every batch it tries to send."""

    sizes: list[int]

    def send_batch(self, batch: PushBatch) -> PushResponse:
        self.sizes.append(len(batch.ops))
        return super().send_batch(batch)


@pytest.fixture(scope="module")
def county(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, str]]:
    """One small demo county (~7,000 ops in its outbox), registered; the tests below run in order."""
    data_dir = tmp_path_factory.mktemp("link") / "county"
    build_demo_county(data_dir, teachers=60, today=DEMO_TODAY)
    db = as_real_county(open_database(data_dir))
    yield db, register(db, server.url, server.code(COUNTY_CODE))
    db.dispose()


@pytest.fixture
def proxy(server: Server) -> Iterator[LinkProxy]:
    with LinkProxy(server.url) as link:
        yield link


def _client(county: tuple[Database, str], url: str, **kwargs: object) -> RecordingClient:
    client = RecordingClient(county[0], url, county[1], **kwargs)  # type: ignore[arg-type]
    client.sizes = []
    return client


def _outbox_size(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def _touch_attendance(db: Database, count: int, note: str) -> list[str]:
    """`count` attendance rows changed through the ORM, as the check-in screen does: one op each."""
    with db.write() as session:
        rows = session.scalars(select(Attendance).order_by(Attendance.id).limit(count)).all()
        for row in rows:
            row.note = note
        return [row.id for row in rows]


def _server_notes(server: Server, row_ids: list[str]) -> dict[str, str]:
    ids = ",".join(f"'{row_id}'" for row_id in row_ids)
    found = server.query(f"SELECT row_id, payload FROM rows WHERE row_id IN ({ids})")
    return {row_id: json.loads(payload)["note"] for row_id, payload in found}


def _set_batch_size(db: Database, size: int) -> None:
    with db.write() as session:
        session.merge(Setting(key=BATCH_KEY, value=size))


def test_answers_dropped_after_commit_are_resent_and_stored_once(
    server: Server, county: tuple[Database, str], proxy: LinkProxy
) -> None:
    db = county[0]
    waiting = _outbox_size(db)
    with db.read() as session:
        attendance = session.scalar(select(func.count()).select_from(Attendance))
    client = _client(county, proxy.url)
    # The server applies the first batch, then its answer and the answer to the re-sent half are lost.
    proxy.arm(Fault("drop_response", times=2))

    summary = client.push()

    assert [kind for kind, _ in proxy.stats.fired] == ["drop_response", "drop_response"]
    assert client.sizes[:3] == [FIRST_BATCH, FIRST_BATCH // 2, FIRST_BATCH // 4]
    assert summary.retries == 2
    # The first batch was stored once; re-sent, its ops came back "duplicate", each counted once.
    assert summary.duplicate == FIRST_BATCH
    assert summary.applied == waiting - FIRST_BATCH and summary.unsettled == 0
    assert _outbox_size(db) == 0
    stored, distinct = server.query(
        "SELECT count(*), count(DISTINCT row_id) FROM rows WHERE entity = 'attendance'"
    )[0]
    assert stored == distinct == attendance
    assert server.query("SELECT count(*), count(DISTINCT op_id) FROM applied_ops")[0] == (waiting, waiting)
    assert summary.bytes_sent > 0 and summary.bytes_received > 0
    # Move the cursor past our own changes (over loopback), so the later tests pull little.
    SyncClient(db, server.url, county[1]).pull()


def test_request_cut_mid_body_applies_nothing_and_the_retry_does(
    server: Server, county: tuple[Database, str], proxy: LinkProxy
) -> None:
    db = county[0]
    row_ids = _touch_attendance(db, 80, "断网测试")
    client = _client(county, proxy.url)
    before = server.counts()
    proxy.arm(Fault("cut_request", after_bytes=700))
    batch, _ = client.next_batch()
    assert len(batch.ops) == len(row_ids)

    with pytest.raises(NotConnected):
        client.send_batch(batch)

    assert proxy.stats.fired == [("cut_request", "/v1/push")]
    assert server.counts() == before  # not one op of the cut batch was applied
    assert "断网测试" not in _server_notes(server, row_ids).values()
    summary = client.push()
    assert summary.applied == len(row_ids) and summary.duplicate == 0  # the cut batch left no trace
    assert _outbox_size(db) == 0
    assert _server_notes(server, row_ids) == dict.fromkeys(row_ids, "断网测试")


def test_batch_size_halves_after_a_cut_and_grows_back(
    server: Server, county: tuple[Database, str], proxy: LinkProxy
) -> None:
    db = county[0]
    row_ids = _touch_attendance(db, 1500, "批次测试")
    _set_batch_size(db, 200)
    client = _client(county, proxy.url)
    proxy.arm(Fault("cut_request", after_bytes=2000))

    summary = client.push()

    assert summary.retries == 1 and summary.duplicate == 0
    assert client.sizes[:5] == [200, 100, 200, 400, DEFAULT_BATCH]
    assert summary.batch_size == DEFAULT_BATCH
    with db.read() as session:
        assert session.get_one(Setting, BATCH_KEY).value == DEFAULT_BATCH  # the next sync starts here
    assert _outbox_size(db) == 0
    assert _server_notes(server, row_ids) == dict.fromkeys(row_ids, "批次测试")


def test_silent_link_times_out_and_the_batch_halves(
    server: Server, county: tuple[Database, str], proxy: LinkProxy
) -> None:
    db = county[0]
    row_ids = _touch_attendance(db, 30, "静默测试")
    _set_batch_size(db, 40)
    client = _client(county, proxy.url, timeout=(2, 1.0))
    proxy.arm(Fault("stall", times=3))  # answers held back: nothing moves, the client gives up

    summary = client.push()

    # 40 → 20 → 10 (the floor) → 10, answered; then it grows again.
    assert client.sizes == [30, 20, MIN_BATCH, MIN_BATCH, 20]
    # The server had applied the first, unanswered batch: every op comes back "duplicate".
    assert summary.retries == 3 and summary.duplicate == 30 and summary.applied == 0
    assert summary.batch_size == 4 * MIN_BATCH
    assert _outbox_size(db) == 0
    assert _server_notes(server, row_ids) == dict.fromkeys(row_ids, "静默测试")


def test_trickling_link_completes_past_the_read_timeout(
    server: Server, county: tuple[Database, str], trickling: LinkProxy
) -> None:
    db = county[0]
    SyncClient(db, server.url, county[1]).pull()  # past the earlier tests' changes, over loopback
    row_ids = _touch_attendance(db, 100, "慢速测试")
    _set_batch_size(db, FIRST_BATCH)
    read_timeout = 3.0
    # A small send buffer, as the client uses on a real link (scaled down with the link), so that what
    # the kernel holds drains well within the read timeout.
    client = _client(county, trickling.url, timeout=(3, read_timeout), send_buffer=4096)

    summary, pulled = client.sync()

    assert summary.applied == len(row_ids) and summary.retries == 0
    assert pulled == 0  # only our own changes came back, and those are skipped
    assert _outbox_size(db) == 0
    assert _server_notes(server, row_ids) == dict.fromkeys(row_ids, "慢速测试")
    # The link made the sync wait far longer than the read timeout in all (intended pauses, summed),
    # yet never long at a time: bytes kept moving.
    print(f"trickle: {trickling.stats.paused_s:.1f} s of pauses, read timeout {read_timeout} s")
    assert trickling.stats.paused_s > 2 * read_timeout
    assert client.traffic.sent > 0 and client.traffic.received > 0


@pytest.fixture
def trickling(server: Server) -> Iterator[LinkProxy]:
    with LinkProxy(server.url, trickle(bytes_per_tick=150, tick_s=0.1)) as link:
        yield link


def test_status_area_shows_the_bytes_of_the_last_sync(
    qtbot, server: Server, county: tuple[Database, str], proxy: LinkProxy
) -> None:
    from desktop.sync.credentials import Credentials, save_credentials
    from desktop.ui.app import create_application
    from desktop.ui.sync_status import SyncStatus
    from desktop.ui.tasks import TaskRunner
    from tests.conftest import QuietContext

    db = county[0]
    _touch_attendance(db, 20, "状态测试")
    create_application([])
    status = SyncStatus(QuietContext(db), runner=TaskRunner(synchronous=True))
    qtbot.addWidget(status)
    save_credentials(status.data_dir, Credentials(proxy.url, county[1]))

    status.sync_now()

    assert status.state.text().startswith("已同步")
    text = status.traffic.text()
    assert text.startswith("上次同步：发送 ") and "，接收 " in text and text.endswith(" KB")
    # What the client counted is the bodies the proxy carried: less than everything it carried.
    sent = float(text.split("发送 ")[1].split(" KB")[0]) * 1024
    assert 0 < sent < proxy.stats.up


class _Busy(http.server.BaseHTTPRequestHandler):
    retry_after = "7"

    def _busy(self) -> None:
        body = '{"detail":"数据库繁忙"}'.encode()
        self.send_response(503)
        self.send_header(PROTOCOL_HEADER, PROTOCOL_VERSION)
        self.send_header("Retry-After", self.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _busy

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def busy_server() -> Iterator[str]:
    busy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{busy.server_address[1]}"
    finally:
        busy.shutdown()
        busy.server_close()


def test_retry_after_is_read_in_seconds_or_as_a_date() -> None:
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(format_datetime(now + dt.timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after(format_datetime(now - dt.timedelta(seconds=90), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after("") is None
    assert next_delay_ms(1, retry_after=600) >= 600_000  # more than the first backoff's 30 s
    assert next_delay_ms(0, retry_after=5) == next_delay_ms(0)  # the regular schedule is longer


def test_busy_server_is_waited_for_as_long_as_it_asks(
    qtbot, busy_server: str, empty_db: Database, tmp_path: Path
) -> None:
    from desktop.sync.credentials import Credentials, save_credentials
    from desktop.ui.app import create_application
    from desktop.ui.sync_status import SyncStatus
    from desktop.ui.tasks import TaskRunner
    from tests.conftest import QuietContext

    with pytest.raises(ServerRefused) as refused:
        SyncClient(empty_db, busy_server, "token").pull()
    assert refused.value.status == 503 and refused.value.retry_after == 7
    assert "繁忙" in str(refused.value)

    _Busy.retry_after = "900"  # longer than any first backoff (at most 30 s)
    try:
        create_application([])
        status = SyncStatus(QuietContext(empty_db), runner=TaskRunner(synchronous=True))
        qtbot.addWidget(status)
        save_credentials(status.data_dir, Credentials(busy_server, "token"))
        status.sync_now(automatic=True)
    finally:
        _Busy.retry_after = "7"
    assert status.failures == 1 and status.state.text().startswith("离线：省级平台暂时繁忙（503）")
    assert status._schedule.remainingTime() > 890_000
